import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import type { RouteeEndpoint, RouteeOutcome } from '@app/metrics';
import { CircuitBreaker, type CircuitState } from './circuit-breaker';
import { foldSmsParts, readStatus, readViberTracking, readVoiceDialTracking } from './routee-tracking';
import {
  describeFields,
  INSUFFICIENT_BALANCE_CODE,
  type RouteeClientOptions,
  RouteeError,
  type RouteeErrorKind,
  type RouteeSendResult,
  type RouteeTracking,
  type SmsSendRequest,
  type ViberOtpSendRequest,
  type ViberSendRequest,
  type VoiceCallRequest,
  type VoiceVerb,
  VIBER_OTP_LABEL,
  VIBER_OTP_MIN_TTL_SEC,
  VIBER_TTL_SEC,
} from './routee.types';

/** 'send' requests are not idempotent: an answer that never came may hide a sent message */
type CallKind = 'send' | 'read';

export type RouteeChannel = 'viber' | 'sms' | 'voice';
type CircuitName = 'auth' | RouteeChannel;

/** told of every HTTP attempt at Routee: the gateway's metrics (`seconds` null: refused by the circuit, nothing went out) */
export type RouteeRequestObserver = (endpoint: RouteeEndpoint, outcome: RouteeOutcome, seconds: number | null) => void;

interface HttpAnswer {
  status: number;
  body: unknown;
}

interface CachedToken {
  value: string;
  /** epoch ms after which the token is no longer handed out */
  refreshAt: number;
}

/**
 * Errors raised before the request could leave: nothing reached Routee, so
 * retrying is safe even for a send. Everything else (timeouts waiting for the
 * answer, resets, closed sockets) may have happened after Routee took the message.
 */
const CONNECT_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

const RETRYABLE_STATUSES = new Set([502, 503, 504]);

/**
 * Routee's HTTP API (https://docs.routee.net): OAuth client-credentials token,
 * Viber OTP, Viber message, SMS and Voice conversation sends, and their tracking. Plain class, no Nest: the
 * gateway wraps it in a provider.
 */
export class RouteeClient {
  private readonly agent: Agent;
  private readonly authUrl: string;
  private readonly apiUrl: string;
  private readonly basicAuth: string;
  private readonly requestTimeoutMs: number;
  private readonly tokenRefreshMarginMs: number;
  private readonly maxRetries: number;
  private readonly retryBaseDelayMs: number;
  private token?: CachedToken;
  private tokenInFlight?: Promise<string>;
  /**
   * Per process, one per part of Routee that fails on its own: the token
   * endpoint, Viber, SMS, Voice. Down → calls fail fast (`circuit_open`) instead of
   * each waiting for its retries and timeouts; a Viber outage leaves SMS and Voice open.
   */
  private readonly circuits: Record<CircuitName, CircuitBreaker>;
  private observer: RouteeRequestObserver | undefined;

  constructor(options: RouteeClientOptions) {
    this.authUrl = options.authUrl.replace(/\/+$/, '');
    this.apiUrl = options.apiUrl.replace(/\/+$/, '');
    this.basicAuth = Buffer.from(`${options.appId}:${options.appSecret}`).toString('base64');
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5000;
    this.tokenRefreshMarginMs = options.tokenRefreshMarginMs ?? 60_000;
    this.maxRetries = Math.max(0, options.maxRetries ?? 2);
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? 200;
    const breaker = (name: CircuitName) =>
      new CircuitBreaker({
        failureThreshold: options.circuitFailureThreshold,
        openMs: options.circuitOpenMs,
        onChange: (state, reason) => options.onCircuitChange?.(state, `${name}: ${reason}`),
      });
    this.circuits = { auth: breaker('auth'), viber: breaker('viber'), sms: breaker('sms'), voice: breaker('voice') };
    this.agent = new Agent({
      connect: { timeout: options.connectTimeoutMs ?? 2000 },
      headersTimeout: this.requestTimeoutMs,
      bodyTimeout: this.requestTimeoutMs,
    });
  }

  /** every HTTP attempt from now on is told to `observer` (one observer: the app's metrics) */
  observeRequests(observer: RouteeRequestObserver): void {
    this.observer = observer;
  }

  /** each circuit's state (auth, viber, sms, voice), for the metrics scrape */
  circuitStates(): Record<CircuitName, CircuitState> {
    const { auth, viber, sms, voice } = this.circuits;
    return { auth: auth.state, viber: viber.state, sms: sms.state, voice: voice.state };
  }

  /** POST {apiUrl}/viber/otp */
  async sendViberOtp(req: ViberOtpSendRequest): Promise<RouteeSendResult> {
    const body = {
      senderInfoTrackingId: req.senderInfoTrackingId,
      to: `+${digitsOf(req.to)}`,
      ttl: Math.max(VIBER_OTP_MIN_TTL_SEC, req.ttl),
      label: VIBER_OTP_LABEL,
      templateId: req.templateId,
      templateParams: req.templateParams,
      templateLang: req.templateLang,
    };
    return this.toSendResult(await this.call('POST', '/viber/otp', body, 'send', 'viber', 'viber_otp'), 'QUEUED');
  }

  /** POST {apiUrl}/sms; Routee's ttl is in minutes (docs: send-single-sms) */
  async sendSms(req: SmsSendRequest): Promise<RouteeSendResult> {
    const body: Record<string, unknown> = {
      from: req.from.replace(/^\+(?=\d+$)/, ''),
      to: `+${digitsOf(req.to)}`,
      body: req.body,
      ttl: Math.max(1, Math.ceil(req.ttlSeconds / 60)),
    };
    if (req.label !== undefined) body.label = req.label;
    if (req.callbackUrl) body.callback = { url: req.callbackUrl, strategy: 'OnChange' };
    return this.toSendResult(await this.call('POST', '/sms', body, 'send', 'sms', 'sms'), 'Queued');
  }

  /**
   * POST {apiUrl}/viber: Routee's single Viber message. The content goes in `body`
   * with the request's casing (imageURL, fileURL); ttl in seconds, 30-86400.
   */
  async sendViber(req: ViberSendRequest): Promise<RouteeSendResult> {
    const content: Record<string, unknown> = {};
    if (req.text !== undefined) content.text = req.text;
    if (req.imageUrl !== undefined) content.imageURL = req.imageUrl;
    if (req.action) content.action = { caption: req.action.caption, targetUrl: req.action.targetUrl };
    if (req.viberFile) {
      const { fileName, fileType, fileUrl } = req.viberFile;
      content.viberFile = { fileName, fileType, fileURL: fileUrl };
    }
    const body: Record<string, unknown> = {
      senderInfoTrackingId: req.senderInfoTrackingId,
      to: `+${digitsOf(req.to)}`,
      body: content,
      ttl: Math.min(VIBER_TTL_SEC.max, Math.max(VIBER_TTL_SEC.min, Math.ceil(req.ttlSeconds))),
    };
    if (req.inboundUrl !== undefined) body.inboundUrl = req.inboundUrl;
    if (req.label !== undefined) body.label = req.label;
    if (req.callbackUrl) body.callbackUrl = req.callbackUrl;
    return this.toSendResult(await this.call('POST', '/viber', body, 'send', 'viber', 'viber'), 'QUEUED');
  }

  /**
   * POST {apiUrl}/voice/conversation. Routee's answer carries no status: a call it
   * took starts Queued (voice-messaging-statuses: "The API request was successful.
   * The Voice message is queued").
   */
  async startVoiceCall(req: VoiceCallRequest): Promise<RouteeSendResult> {
    const body: Record<string, unknown> = {
      from: req.from,
      to: { phone: `+${digitsOf(req.to)}` },
      dialPlan: { verbs: req.verbs.map(verbBody) },
    };
    if (req.machineDetection) {
      const { strategy, eventUrl } = req.machineDetection;
      body.machineDetection = eventUrl === undefined ? { strategy } : { strategy, eventUrl };
    }
    if (req.callbackUrl) body.callback = { url: req.callbackUrl, strategy: 'OnChange' };
    return this.toSendResult(await this.call('POST', '/voice/conversation', body, 'send', 'voice', 'voice'), 'Queued');
  }

  /**
   * GET {apiUrl}/voice/tracking/conversation/{conversationTrackingId}: the page of the
   * conversation's dial parts, folded to the last one; status names as the Failover API has them.
   */
  async getVoiceTracking(conversationTrackingId: string): Promise<RouteeTracking> {
    const raw = await this.call(
      'GET',
      `/voice/tracking/conversation/${encodeURIComponent(conversationTrackingId)}`,
      undefined,
      'read',
      'voice',
      'voice_tracking',
    );
    const tracking = readVoiceDialTracking(raw, conversationTrackingId);
    if (!tracking)
      throw new RouteeError('not_found', `Routee has no dial for conversation ${conversationTrackingId}`, 200);
    return tracking;
  }

  /** GET {apiUrl}/viber/tracking/{trackingId} (a /viber/otp or a /viber message) */
  async getViberTracking(trackingId: string): Promise<RouteeTracking> {
    const raw = await this.call(
      'GET',
      `/viber/tracking/${encodeURIComponent(trackingId)}`,
      undefined,
      'read',
      'viber',
      'viber_tracking',
    );
    const tracking = readViberTracking(raw, trackingId);
    if (!tracking)
      throw new RouteeError('server_error', `Routee answered an unreadable Viber tracking for ${trackingId}`);
    return tracking;
  }

  /** GET {apiUrl}/sms/tracking/single/{messageId}: one entry per part, folded into one */
  async getSmsTracking(messageId: string): Promise<RouteeTracking> {
    const raw = await this.call(
      'GET',
      `/sms/tracking/single/${encodeURIComponent(messageId)}`,
      undefined,
      'read',
      'sms',
      'sms_tracking',
    );
    const tracking = foldSmsParts(raw, messageId);
    if (!tracking) throw new RouteeError('not_found', `Routee has no SMS parts for ${messageId}`, 200);
    return tracking;
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  /** closed, open (calls refused) or half_open (one probe may go out), for one channel's calls: its own circuit and the token endpoint's */
  circuitState(channel: RouteeChannel): CircuitState {
    const auth = this.circuits.auth.state;
    return auth !== 'closed' ? auth : this.circuits[channel].state;
  }

  /** false while a call on this channel would be refused without a probe being due: callers skip or queue work */
  isAvailable(channel: RouteeChannel): boolean {
    return !this.circuits.auth.isOpen && !this.circuits[channel].isOpen;
  }

  /** epoch ms from which a call on this channel may go out again (now when available) */
  retryAt(channel: RouteeChannel): number {
    return Math.max(this.circuits.auth.retryAt, this.circuits[channel].retryAt);
  }

  /**
   * One HTTP attempt through the circuit breaker: refused at once (nothing
   * goes out) while the circuit is open; a transport failure or a 5xx counts
   * against it, any other answer closes it.
   */
  private async guarded(
    circuit: CircuitBreaker,
    endpoint: RouteeEndpoint,
    what: string,
    attempt: () => Promise<HttpAnswer>,
  ): Promise<HttpAnswer> {
    const ticket = circuit.admit();
    if (!ticket) {
      this.observer?.(endpoint, 'circuit_open', null);
      throw new RouteeError(
        'circuit_open',
        `${what}: not attempted, Routee is considered down (circuit open until ${new Date(circuit.retryAt).toISOString()})`,
      );
    }
    let answer: HttpAnswer;
    const startedAt = performance.now();
    try {
      answer = await attempt();
    } catch (err) {
      this.observer?.(endpoint, attemptFailureOf(err), (performance.now() - startedAt) / 1000);
      circuit.failure(ticket, `${what}: ${errorCode(err) ?? (err instanceof Error ? err.message : String(err))}`);
      throw err;
    }
    this.observer?.(endpoint, answerOutcomeOf(answer.status), (performance.now() - startedAt) / 1000);
    if (answer.status >= 500) circuit.failure(ticket, `${what}: HTTP ${answer.status}`);
    else circuit.success(ticket);
    return answer;
  }

  private toSendResult(raw: unknown, defaultStatus: string): RouteeSendResult {
    const obj = raw as { trackingId?: unknown; status?: unknown } | null;
    const trackingId = obj && typeof obj.trackingId === 'string' ? obj.trackingId : undefined;
    if (!trackingId) {
      // Routee took the request (2xx) but we cannot tell which message it made.
      throw new RouteeError('unknown_outcome', 'Routee accepted the send but answered no trackingId', 200);
    }
    return { trackingId, status: readStatus(obj!.status)?.status ?? defaultStatus, raw };
  }

  /**
   * One API call with a bearer token. A 401/403 invalidates the token and the
   * call is repeated once with a fresh one; connect failures and 502/503/504 are
   * retried up to maxRetries with exponential backoff (Routee answers those
   * before it takes a message), and so are reads whose answer was lost (not
   * timeouts). A send whose request left and got no answer is never repeated
   * (`unknown_outcome`). Every attempt goes through the circuit breaker.
   */
  private async call(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    kind: CallKind,
    channel: RouteeChannel,
    endpoint: RouteeEndpoint,
  ): Promise<unknown> {
    let authRetried = false;
    let retries = 0;
    for (;;) {
      const token = await this.getToken();
      let answer: HttpAnswer;
      try {
        answer = await this.guarded(this.circuits[channel], endpoint, `${method} ${path}`, () =>
          this.http(method, `${this.apiUrl}${path}`, { authorization: `Bearer ${token}` }, body),
        );
      } catch (err) {
        if (err instanceof RouteeError) throw err; // circuit_open: nothing went out
        const error = transportError(err, kind, `${method} ${path}`);
        // a read may be repeated after any lost answer but a timeout (that would only double the wait); a send only when it never left
        const retryable = isConnectError(err) || (kind === 'read' && !isTimeout(err));
        if (retryable && retries < this.maxRetries) {
          await this.backoff(retries++);
          continue;
        }
        throw error;
      }
      if (answer.status === 401 || answer.status === 403) {
        if (!authRetried) {
          authRetried = true;
          this.invalidateToken(token);
          continue;
        }
        throw httpError(answer, kind, `${method} ${path}`, 'auth_refused');
      }
      if (RETRYABLE_STATUSES.has(answer.status) && retries < this.maxRetries) {
        await this.backoff(retries++);
        continue;
      }
      if (answer.status >= 300) throw httpError(answer, kind, `${method} ${path}`);
      return answer.body;
    }
  }

  /** Concurrent callers share one cached token and at most one token request. */
  private getToken(): Promise<string> {
    if (this.token && Date.now() < this.token.refreshAt) return Promise.resolve(this.token.value);
    this.tokenInFlight ??= this.fetchToken().finally(() => {
      this.tokenInFlight = undefined;
    });
    return this.tokenInFlight;
  }

  /** Only the token that was refused is dropped: a newer one fetched meanwhile stays. */
  private invalidateToken(refused: string): void {
    if (this.token?.value === refused) this.token = undefined;
  }

  private async fetchToken(): Promise<string> {
    let retries = 0;
    for (;;) {
      let answer: HttpAnswer;
      try {
        answer = await this.guarded(this.circuits.auth, 'token', 'POST /oauth/token', () =>
          this.http(
            'POST',
            `${this.authUrl}/oauth/token`,
            { authorization: `Basic ${this.basicAuth}`, 'content-type': 'application/x-www-form-urlencoded' },
            'grant_type=client_credentials',
          ),
        );
      } catch (err) {
        if (err instanceof RouteeError) throw err; // circuit_open: nothing went out
        if (isConnectError(err) && retries < this.maxRetries) {
          await this.backoff(retries++);
          continue;
        }
        // Asking for a token sends nothing: never an unknown outcome.
        throw transportError(err, 'read', 'POST /oauth/token');
      }
      if (RETRYABLE_STATUSES.has(answer.status) && retries < this.maxRetries) {
        await this.backoff(retries++);
        continue;
      }
      if (answer.status >= 400 && answer.status < 500) {
        throw httpError(answer, 'read', 'POST /oauth/token', 'auth_refused');
      }
      if (answer.status >= 300) throw httpError(answer, 'read', 'POST /oauth/token');
      const body = answer.body as { access_token?: unknown; expires_in?: unknown } | null;
      if (!body || typeof body.access_token !== 'string' || body.access_token === '') {
        throw new RouteeError('server_error', 'Routee token endpoint answered without access_token', answer.status);
      }
      // Routee tokens last 1 hour by default (docs: authentication); an unlimited
      // application token reports a very large expires_in.
      const expiresInMs = (typeof body.expires_in === 'number' ? body.expires_in : 3600) * 1000;
      const margin = Math.min(this.tokenRefreshMarginMs, expiresInMs / 2);
      this.token = { value: body.access_token, refreshAt: Date.now() + expiresInMs - margin };
      return body.access_token;
    }
  }

  private async http(
    method: 'GET' | 'POST',
    url: string,
    headers: Record<string, string>,
    body: unknown,
  ): Promise<HttpAnswer> {
    const isJson = body !== undefined && typeof body !== 'string';
    const res = await request(url, {
      dispatcher: this.agent,
      method,
      headers: { accept: 'application/json', ...(isJson ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : isJson ? JSON.stringify(body) : (body as string),
    });
    const text = await res.body.text();
    let parsed: unknown = text;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        // keep the text: a proxy's HTML error page is still worth a log line
      }
    }
    return { status: res.statusCode, body: parsed };
  }

  private async backoff(retry: number): Promise<void> {
    const delay = this.retryBaseDelayMs * 2 ** retry;
    await sleep(delay * (0.8 + Math.random() * 0.4), undefined, { ref: false });
  }
}

/** only the fields of Routee's PLAY and SAY verbs (dialplan-verbs), whatever else the object carries */
function verbBody(verb: VoiceVerb): Record<string, unknown> {
  const common = {
    ...(verb.repeat !== undefined ? { repeat: verb.repeat } : {}),
    ...(verb.bargeIn !== undefined ? { bargeIn: verb.bargeIn } : {}),
  };
  if (verb.type === 'PLAY') return { type: 'PLAY', fileURL: verb.fileURL, ...common };
  const { language, gender, text } = verb.message;
  return { type: 'SAY', message: { language, gender, text }, ...common };
}

function digitsOf(phone: string): string {
  return phone.replace(/\D/g, '');
}

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown }; errors?: Array<{ code?: unknown }> } | null;
  const code = e?.code ?? e?.cause?.code ?? e?.errors?.[0]?.code;
  return typeof code === 'string' ? code : undefined;
}

function isConnectError(err: unknown): boolean {
  const code = errorCode(err);
  return code !== undefined && CONNECT_ERROR_CODES.has(code);
}

function isTimeout(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
}

function answerOutcomeOf(status: number): RouteeOutcome {
  return status >= 500 ? 'server_error' : status >= 400 ? 'client_error' : 'ok';
}

function attemptFailureOf(err: unknown): RouteeOutcome {
  if (isConnectError(err)) return 'unreachable';
  return isTimeout(err) ? 'timeout' : 'error';
}

function transportError(err: unknown, kind: CallKind, what: string): RouteeError {
  const code = errorCode(err) ?? 'UNKNOWN';
  const message = err instanceof Error ? err.message : String(err);
  if (isConnectError(err)) return new RouteeError('unreachable', `${what}: Routee unreachable (${code}: ${message})`);
  if (kind === 'send') {
    return new RouteeError('unknown_outcome', `${what}: no answer after the request was sent (${code}: ${message})`);
  }
  return new RouteeError('unreachable', `${what}: no answer from Routee (${code}: ${message})`);
}

/**
 * Routee's error body is {"code":"400001009","developerMessage":"...","properties":{field: problem}}
 * (docs: error-codes; `properties` lists the fields a 400 refused). The message names all three,
 * so the log line of a refused send says which field Routee objected to.
 */
function httpError(answer: HttpAnswer, kind: CallKind, what: string, forced?: 'auth_refused'): RouteeError {
  const { code, developerMessage, properties } = readErrorBody(answer.body);
  const fields = describeFields(properties);
  // "code 400001009": the log redactor keeps a number after "code " (it masks other 8-15 digit runs as phone numbers)
  const detail = `${what}: HTTP ${answer.status}${code ? ` code ${code}` : ''}${developerMessage ? ` ${developerMessage}` : ''}${fields ? ` [${fields}]` : ''}`;
  const error = (errorKind: RouteeErrorKind) =>
    new RouteeError(errorKind, detail, answer.status, code, developerMessage, properties);
  if (code === INSUFFICIENT_BALANCE_CODE) return error('insufficient_balance');
  if (forced) return error(forced);
  if (answer.status === 404 && kind === 'read') return error('not_found');
  if (answer.status >= 500) return error('server_error');
  return error('validation');
}

export function readErrorBody(raw: unknown): {
  code?: string;
  developerMessage?: string;
  properties?: Record<string, string>;
} {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return {};
  const body = raw as { code?: unknown; developerMessage?: unknown; properties?: unknown };
  const props = body.properties;
  const properties =
    props && typeof props === 'object' && !Array.isArray(props) && Object.keys(props).length > 0
      ? Object.fromEntries(
          Object.entries(props).map(([field, problem]) => [
            field,
            typeof problem === 'string' ? problem : JSON.stringify(problem),
          ]),
        )
      : undefined;
  return {
    code: body.code !== undefined && body.code !== null ? String(body.code) : undefined,
    developerMessage: typeof body.developerMessage === 'string' ? body.developerMessage : undefined,
    properties,
  };
}
