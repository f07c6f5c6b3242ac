/**
 * The Routee client's public contract. The gateway codes against these types only.
 * Field names follow Routee's public API (https://docs.routee.net/reference).
 */

export interface RouteeClientOptions {
  /** e.g. https://auth.routee.net (no trailing slash) */
  authUrl: string;
  /** e.g. https://connect.routee.net (no trailing slash) */
  apiUrl: string;
  appId: string;
  appSecret: string;
  /** TCP connect timeout, default 2000 ms */
  connectTimeoutMs?: number;
  /** whole-response timeout (headers + body), default 5000 ms */
  requestTimeoutMs?: number;
  /** refresh the token this long before expires_in runs out, default 60 s */
  tokenRefreshMarginMs?: number;
  /** retries of what is safe to retry (connect failures, 502/503/504), default 2 */
  maxRetries?: number;
  /** first retry delay; doubles on each retry, default 200 ms */
  retryBaseDelayMs?: number;
  /** failed attempts in a row (no answer, connect failure, 5xx) that open the circuit, default 5 */
  circuitFailureThreshold?: number;
  /** how long the circuit stays open before one probe goes out, default 10 000 ms */
  circuitOpenMs?: number;
  /** told when the circuit opens or closes */
  onCircuitChange?: (state: 'closed' | 'open' | 'half_open', reason: string) => void;
}

/**
 * POST {apiUrl}/viber/otp (https://docs.routee.net/reference/viber-otp-request).
 * No label and no callback here: Routee's `label` there only takes
 * transactional/promotional (the client sends transactional), and the
 * reference documents no callback field (reports come from polling or the
 * Routee application's Viber callback URL).
 */
export interface ViberOtpSendRequest {
  senderInfoTrackingId: string;
  /** digits, no '+'; sent to Routee as one "+E.164" string */
  to: string;
  /** seconds; sent as at least VIBER_OTP_MIN_TTL_SEC */
  ttl: number;
  templateId: string;
  /** ISO 639-1 (Routee's localization list) */
  templateLang: string;
  /** pin plus the template's other params, camelCase as Routee names them (codeValidityTime an integer) */
  templateParams: Record<string, string | number>;
}

/** POST {apiUrl}/sms (https://docs.routee.net/reference/send-single-sms) */
export interface SmsSendRequest {
  /** an alphanumeric sender, or digits (a leading '+' is dropped: Routee's numeric sender has none) */
  from: string;
  /** digits, no '+'; the client adds '+' */
  to: string;
  body: string;
  /** seconds; the client sends minutes rounded up (Routee's unit), min 1 */
  ttlSeconds: number;
  label?: string;
  /** when set: callback {url, strategy: "OnChange"} */
  callbackUrl?: string;
}

/**
 * POST {apiUrl}/viber, Routee's single Viber message
 * (https://docs.routee.net/reference/send-a-viber-single-message). Sent as
 * `{senderInfoTrackingId, to, body {text, imageURL, action, viberFile {fileName,
 * fileType, fileURL}}, ttl, inboundUrl, label, callbackUrl}`: the request's
 * casing (imageURL, fileURL) is not the answer's (imageUrl, fileUrl).
 */
export interface ViberSendRequest {
  senderInfoTrackingId: string;
  /** digits or +digits; sent to Routee as one "+E.164" string */
  to: string;
  /** seconds; Routee's /viber ttl is 30-86400 s: sent rounded up and within that range */
  ttlSeconds: number;
  /** at most 1000 characters; required unless imageUrl or viberFile is given */
  text?: string;
  /** https, at most 1000 characters */
  imageUrl?: string;
  /** the button: caption 1-30 characters */
  action?: { caption: string; targetUrl: string };
  viberFile?: { fileName: string; fileType: string; fileUrl: string };
  inboundUrl?: string;
  /** at most 350 characters */
  label?: string;
  /** where Routee posts this message's delivery reports (a /viber message has its own, unlike /viber/otp) */
  callbackUrl?: string;
}

/** A Routee dial plan verb the gateway uses (https://docs.routee.net/docs/dialplan-verbs) */
export type VoiceVerb =
  | { type: 'PLAY'; fileURL: string; repeat?: number; bargeIn?: boolean }
  | { type: 'SAY'; message: { language: string; gender: string; text: string }; repeat?: number; bargeIn?: boolean };

/**
 * POST {apiUrl}/voice/conversation (https://docs.routee.net/reference/perform-a-voice-conversation).
 * Sent as `{from, to: {phone}, dialPlan: {verbs}, machineDetection?, callback?: {url, strategy: "OnChange"}}`;
 * the answer's trackingId is the conversation's id (what getVoiceTracking takes).
 */
export interface VoiceCallRequest {
  /** the caller id */
  from: string;
  /** the phone, E.164 (digits or +digits); sent as to.phone "+E.164" */
  to: string;
  /** 1-10 verbs */
  verbs: VoiceVerb[];
  machineDetection?: { strategy: 'Hangup' | 'Continue'; eventUrl?: string };
  /** when set: callback {url, strategy: "OnChange"} */
  callbackUrl?: string;
}

export interface RouteeSendResult {
  /** Routee's trackingId of the message (SMS: the messageId used for tracking) */
  trackingId: string;
  /** status as Routee reported it in the send response (e.g. "Queued", "QUEUED") */
  status: string;
  /** the raw JSON body Routee answered with */
  raw: unknown;
}

export interface RouteeStatusReason {
  detailedStatus?: string;
  description?: string;
}

/** normalised tracking of one message (Viber, an SMS with all its parts folded, or a Voice conversation's last dial) */
export interface RouteeTracking {
  trackingId: string;
  /** Routee's status name as reported: Viber upper case, SMS capitalised; Voice as the Failover API names it (NoAnswer) */
  status: string;
  /** when Routee says the status was reached (ISO string), if it says */
  statusDate?: string;
  detailedStatus?: string;
  description?: string;
  /** SMS: sum over parts; Viber: price */
  price?: number;
  /** SMS: max latency over parts (ms) */
  latencyMs?: number;
  country?: string;
  operator?: string;
  /** SMS: number of parts */
  parts?: number;
  /** Voice: the dial part's id (the tracking's trackingId is the conversation's) */
  messageId?: string;
  /** Voice: the call's duration in seconds */
  duration?: number;
  /** Voice: HUMAN, MACHINE or UNKNOWN, as Routee reports it */
  answeredBy?: string;
  raw: unknown;
}

export type RouteeErrorKind =
  | 'insufficient_balance' // Routee code 400001009
  | 'auth_refused' // 401/403 even after one token refresh, or token endpoint refused credentials
  | 'validation' // other 4xx: Routee rejected the request
  | 'not_found' // 404 on tracking
  | 'server_error' // 5xx
  | 'unreachable' // connect error/timeout, reset, response timeout
  | 'unknown_outcome' // the request left but no answer came (response timeout/reset after send): it may have been sent
  | 'circuit_open'; // not attempted: the circuit breaker holds Routee for down (nothing went out)

/** Routee's `properties` (field → problem) as one line, `to: …; ttl: …` */
export function describeFields(properties: Record<string, string> | undefined): string | undefined {
  return (
    properties &&
    Object.entries(properties)
      .map(([field, problem]) => `${field}: ${problem}`)
      .join('; ')
  );
}

export class RouteeError extends Error {
  constructor(
    readonly kind: RouteeErrorKind,
    message: string,
    readonly httpStatus?: number,
    readonly routeeCode?: string,
    readonly developerMessage?: string,
    /** Routee's field errors (`properties` of its error body): field → what is wrong with it */
    readonly properties?: Record<string, string>,
  ) {
    super(message);
    this.name = 'RouteeError';
  }

  /** the refused fields as one line, `to: …; ttl: …` (undefined when Routee named none) */
  get refusedFields(): string | undefined {
    return describeFields(this.properties);
  }
}

/**
 * Routee's account-module code for insufficient balance (docs: error-codes, module 001).
 * On Viber the two Routee pages disagree: the send may be refused with this code, or
 * taken and reported UNSENT ("could not be sent due to insufficient balance", Viber
 * statuses). Both end a flow Failed with statusCode 1 (test/routee-contract.e2e-spec.ts).
 */
export const INSUFFICIENT_BALANCE_CODE = '400001009';

/** Viber's shortest ttl (Routee's /viber reference: 30-86400 s); a shorter step ttl still drives our failover timer */
export const VIBER_OTP_MIN_TTL_SEC = 30;

/** Routee's /viber ttl range in seconds (send-a-viber-single-message: "TTL range in seconds: 30 - 86400") */
export const VIBER_TTL_SEC = { min: 30, max: 86400 } as const;

/** the only `label` the gateway sends on /viber/otp (Routee allows transactional or promotional there) */
export const VIBER_OTP_LABEL = 'transactional';
