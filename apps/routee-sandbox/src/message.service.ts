import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CallbackSender } from './callback-sender.service';
import { RouteeApiError } from './routee-api.error';
import {
  type Channel,
  countryOf,
  operatorOf,
  type ScriptedStatus,
  type SendOutcome,
  SMS_TERMINAL,
  smsOutcome,
  smsPartPrice,
  smsPartsOf,
  type StatusReason,
  VIBER_TERMINAL,
  viberOutcome,
  viberPrice,
} from './scenarios';
import { SandboxFaults } from './sandbox-faults.service';
import { SandboxTimers } from './sandbox-timers.service';
import { type ResolvedSandboxOptions, SANDBOX_OPTIONS } from './sandbox.options';
import {
  type CallbackRequest,
  dropUndefined,
  parseSmsSend,
  parseViberOtpSend,
  type SmsSend,
  type ViberOtpSend,
} from './send-requests';
import { parseViberMessageSend, type ViberMessageSend } from './viber-message-request';

/** A message Routee took. */
export interface SandboxSend {
  channel: Channel;
  /** digits, no '+' */
  to: string;
  trackingId: string;
  /** SMS only */
  body?: string;
  /** Viber OTP only */
  templateParams?: Record<string, unknown>;
  /** Viber message (/viber) only: body.text */
  text?: string;
  /** ISO time */
  at: string;
}

/** Every send request that passed authentication, taken or refused. */
export interface SandboxAttempt {
  channel: Channel;
  to: string;
  httpStatus: number;
  at: string;
}

interface CurrentStatus {
  name: string;
  date: string;
  reason?: StatusReason;
}

/** a /viber/otp (kind 'otp') or a /viber message (kind 'message'); both track on /viber/tracking */
type ViberMessage = {
  channel: 'viber';
  trackingId: string;
  /** the message's callbackUrl, else the application's Viber callback when it was sent (/viber/otp takes none per message) */
  callback?: CallbackRequest;
  createdAt: string;
  status: CurrentStatus;
} & ({ kind: 'otp'; req: ViberOtpSend } | { kind: 'message'; req: ViberMessageSend });

interface SmsMessage {
  channel: 'sms';
  messageId: string;
  req: SmsSend;
  callback?: CallbackRequest;
  createdAt: string;
  sentAtMs: number;
  parts: Array<{ smsId: string; part: number }>;
  unicode: boolean;
  characters: number;
  /** seconds from send to the final status */
  latency?: number;
  status: CurrentStatus;
}

const APPLICATION_NAME = 'default';
/** send-a-viber-single-message: "If it is not set, the default range is 14 days" */
const VIBER_DEFAULT_TTL_SEC = 14 * 24 * 3600;
const VIBER_SENDER = 'RouteeSandbox';

/** The Routee look-alike's messages: sends, scripted status timelines, tracking views, callbacks. */
@Injectable()
export class MessageService {
  private readonly viber = new Map<string, ViberMessage>();
  private readonly sms = new Map<string, SmsMessage>();
  readonly sends: SandboxSend[] = [];
  readonly attempts: SandboxAttempt[] = [];
  /**
   * The Routee application's Viber callback URL (set in Routee's portal, not per message):
   * where Viber OTP delivery reports go. Unset: none are posted, tracking only.
   */
  viberCallback?: CallbackRequest;

  constructor(
    @Inject(SANDBOX_OPTIONS) private readonly options: ResolvedSandboxOptions,
    @Inject(SandboxTimers) private readonly timers: SandboxTimers,
    @Inject(SandboxFaults) private readonly faults: SandboxFaults,
    @Inject(CallbackSender) private readonly callbacks: CallbackSender,
  ) {
    if (options.viberCallbackUrl) this.viberCallback = { url: options.viberCallbackUrl, strategy: 'OnChange' };
  }

  /** POST /viber/otp (docs: viber-otp-request) */
  sendViberOtp(raw: unknown): Record<string, unknown> {
    const req = parseViberOtpSend(raw);
    const outcome = this.admit('viber', req.to, viberOutcome(req.to, this.timing()));
    const now = new Date().toISOString();
    const msg: ViberMessage = {
      channel: 'viber',
      kind: 'otp',
      trackingId: randomUUID(),
      req,
      callback: this.viberCallback,
      createdAt: now,
      status: { name: 'QUEUED', date: now },
    };
    this.viber.set(msg.trackingId, msg);
    this.sends.push({
      channel: 'viber',
      to: req.to,
      trackingId: msg.trackingId,
      templateParams: req.templateParams,
      at: now,
    });
    this.play(msg, outcome, () => this.postViberCallback(msg));
    return {
      trackingId: msg.trackingId,
      to: `+${req.to}`,
      from: VIBER_SENDER,
      country: countryOf(req.to),
      status: { status: msg.status.name, date: msg.status.date },
      applicationName: APPLICATION_NAME,
      direction: 'Outbound',
      ttl: req.ttl,
      seq: req.seq,
      label: req.label,
      type: req.type ?? 'PRIMARY_ONLY',
      templateId: req.templateId,
      templateParams: req.templateParams,
      templateLang: req.templateLang,
    };
  }

  /**
   * POST /viber (docs: send-a-viber-single-message): scripted by the number as
   * /viber/otp is; reports go to the message's own callbackUrl (strategy OnChange),
   * else to the application's Viber callback URL.
   */
  sendViber(raw: unknown): Record<string, unknown> {
    const req = parseViberMessageSend(raw);
    const outcome = this.admit('viber', req.to, viberOutcome(req.to, this.timing()));
    const now = new Date().toISOString();
    const msg: ViberMessage = {
      channel: 'viber',
      kind: 'message',
      trackingId: randomUUID(),
      req,
      callback: req.callbackUrl ? { url: req.callbackUrl, strategy: 'OnChange' } : this.viberCallback,
      createdAt: now,
      status: { name: 'QUEUED', date: now },
    };
    this.viber.set(msg.trackingId, msg);
    this.sends.push({ channel: 'viber', to: req.to, trackingId: msg.trackingId, text: req.body.text, at: now });
    this.play(msg, outcome, () => this.postViberCallback(msg));
    // the answer's casing is the reference's response table: imageUrl, viberAction, viberFile.fileUrl
    return dropUndefined({
      trackingId: msg.trackingId,
      to: `+${req.to}`,
      from: VIBER_SENDER,
      country: countryOf(req.to),
      status: { status: msg.status.name, date: msg.status.date },
      applicationName: APPLICATION_NAME,
      direction: 'Outbound',
      ttl: req.ttl ?? VIBER_DEFAULT_TTL_SEC,
      message: req.body.text,
      imageUrl: req.body.imageURL,
      viberAction: req.body.action,
      viberFile: fileOf(req),
      label: req.label,
      inboundUrl: req.inboundUrl,
      callbackUrl: req.callbackUrl,
    });
  }

  /** POST /sms (docs: send-single-sms) */
  sendSms(raw: unknown): Record<string, unknown> {
    const req = parseSmsSend(raw);
    const outcome = this.admit('sms', req.to, smsOutcome(req.to, this.timing()));
    const now = new Date();
    const analysis = smsPartsOf(req.body);
    const msg: SmsMessage = {
      channel: 'sms',
      messageId: randomUUID(),
      req,
      callback: req.callback,
      createdAt: now.toISOString(),
      sentAtMs: now.getTime(),
      parts: Array.from({ length: analysis.parts }, (_, i) => ({ smsId: randomUUID(), part: i + 1 })),
      unicode: analysis.unicode,
      characters: analysis.characters,
      status: { name: 'Queued', date: now.toISOString() },
    };
    this.sms.set(msg.messageId, msg);
    this.sends.push({ channel: 'sms', to: req.to, trackingId: msg.messageId, body: req.body, at: msg.createdAt });
    this.play(msg, outcome, () => this.postSmsCallbacks(msg));
    return {
      trackingId: msg.messageId,
      createdAt: msg.createdAt,
      from: req.from,
      to: `+${req.to}`,
      body: req.body,
      status: msg.status.name,
      label: req.label,
      bodyAnalysis: {
        characters: analysis.characters,
        parts: analysis.parts,
        unicode: analysis.unicode,
        unsupportedGSMCharacters: [],
      },
      flash: req.flash ?? false,
      ttl: req.ttl ?? 2880,
      ...(req.callback ? { callback: req.callback } : {}),
    };
  }

  /** GET /viber/tracking/{trackingId} (docs: retrieve-single-viber-tracking) */
  async viberTracking(trackingId: string): Promise<Record<string, unknown>> {
    await this.timers.sleep(this.faults.trackingLatencyMs);
    const msg = this.viber.get(trackingId);
    if (!msg) throw RouteeApiError.viberTrackingNotFound();
    const common = {
      trackingId: msg.trackingId,
      to: `+${msg.req.to}`,
      from: VIBER_SENDER,
      country: countryOf(msg.req.to),
      status: {
        status: msg.status.name,
        date: msg.status.date,
        ...(msg.status.reason ? { reason: msg.status.reason } : {}),
      },
      applicationName: APPLICATION_NAME,
      originatingService: 'Viber',
      direction: 'Outbound',
      ttl: msg.req.ttl,
      price: viberPrice(msg.status.name),
      label: msg.req.label,
      createdAt: msg.createdAt,
    };
    if (msg.kind === 'otp') return { ...common, templateId: msg.req.templateId, templateLang: msg.req.templateLang };
    // a /viber message: its content as retrieve-single-viber-tracking names it (imageURL, viberAction, viberFile.fileUrl)
    return dropUndefined({
      ...common,
      ttl: msg.req.ttl ?? VIBER_DEFAULT_TTL_SEC,
      message: msg.req.body.text,
      imageURL: msg.req.body.imageURL,
      viberAction: msg.req.body.action,
      viberFile: fileOf(msg.req),
      inboundUrl: msg.req.inboundUrl,
      sessionMessage: msg.req.isSessionMessage ?? false,
      expireOnDelivery: false,
    });
  }

  /** GET /sms/tracking/single/{messageId}: one entry per part (docs: smstrackingsingle) */
  async smsTracking(messageId: string): Promise<Array<Record<string, unknown>>> {
    await this.timers.sleep(this.faults.trackingLatencyMs);
    const msg = this.sms.get(messageId);
    if (!msg) throw RouteeApiError.smsTrackingNotFound();
    return msg.parts.map((p) => ({
      applicationName: APPLICATION_NAME,
      country: countryOf(msg.req.to),
      smsId: p.smsId,
      messageId: msg.messageId,
      groups: [],
      body: msg.req.body,
      operator: operatorOf(msg.req.to),
      originatingService: 'Sms',
      to: `+${msg.req.to}`,
      latency: msg.latency ?? 0,
      parts: msg.parts.length,
      part: p.part,
      price: smsPartPrice(msg.status.name),
      label: msg.req.label,
      status: {
        date: msg.status.date,
        status: msg.status.name,
        ...(msg.status.reason ? { reason: msg.status.reason } : {}),
      },
      from: msg.req.from,
      direction: 'Outbound',
    }));
  }

  reset(): void {
    this.viber.clear();
    this.sms.clear();
    this.sends.length = 0;
    this.attempts.length = 0;
  }

  private timing() {
    return { statusDelayMs: this.options.statusDelayMs, seenDelayMs: this.options.seenDelayMs };
  }

  /** records the attempt; refuses it the way the scenario says */
  private admit(channel: Channel, to: string, outcome: SendOutcome): Extract<SendOutcome, { kind: 'accepted' }> {
    const at = new Date().toISOString();
    if (outcome.kind === 'insufficient_balance') {
      this.attempts.push({ channel, to, httpStatus: 400, at });
      throw RouteeApiError.insufficientBalance();
    }
    if (outcome.kind === 'unavailable') {
      this.attempts.push({ channel, to, httpStatus: 503, at });
      throw RouteeApiError.serviceUnavailable();
    }
    this.attempts.push({ channel, to, httpStatus: 200, at });
    return outcome;
  }

  /** Plays the scripted timeline; reports the queued state and every change as the callback strategy asks. */
  private play(
    msg: ViberMessage | SmsMessage,
    outcome: Extract<SendOutcome, { kind: 'accepted' }>,
    report: () => void,
  ): void {
    const callback = msg.callback;
    const terminal = msg.channel === 'viber' ? VIBER_TERMINAL : SMS_TERMINAL;
    const initial = msg.status.name;
    this.timers.sequence([
      { atMs: 0, run: () => wants(callback, initial, terminal) && report() },
      ...outcome.timeline.map((step) => ({
        atMs: step.atMs,
        run: () => {
          this.apply(msg, step);
          if (wants(callback, step.name, terminal)) report();
        },
      })),
    ]);
  }

  private apply(msg: ViberMessage | SmsMessage, step: ScriptedStatus): void {
    msg.status = { name: step.name, date: new Date().toISOString(), reason: step.reason };
    if (msg.channel === 'sms' && SMS_TERMINAL.has(step.name)) {
      msg.latency = Math.round(Date.now() - msg.sentAtMs) / 1000;
    }
  }

  /** Viber callback body (docs: viber-callback); a /viber message's also carries its content in `body` */
  private postViberCallback(msg: ViberMessage): void {
    const content =
      msg.kind === 'message'
        ? {
            body: dropUndefined({
              text: msg.req.body.text,
              imageURL: msg.req.body.imageURL,
              viberAction: msg.req.body.action,
              viberFile: fileOf(msg.req),
            }),
            inboundUrl: msg.req.inboundUrl,
          }
        : {};
    this.callbacks.post(msg.callback!.url, {
      trackingId: msg.trackingId,
      to: `+${msg.req.to}`,
      from: VIBER_SENDER,
      groups: [],
      country: countryOf(msg.req.to),
      status: {
        name: msg.status.name,
        ...(msg.status.reason ? { reason: msg.status.reason } : {}),
        updatedDate: msg.status.date,
      },
      ...content,
      ttl: msg.kind === 'message' ? (msg.req.ttl ?? VIBER_DEFAULT_TTL_SEC) : msg.req.ttl,
      label: msg.req.label,
      applicationName: APPLICATION_NAME,
      price: viberPrice(msg.status.name),
      direction: 'Outbound',
      originatingService: 'Viber',
      createdAt: msg.createdAt,
    });
  }

  /** SMS callback body, one per part (docs: callbacks) */
  private postSmsCallbacks(msg: SmsMessage): void {
    for (const p of msg.parts) {
      this.callbacks.post(msg.callback!.url, {
        messageId: msg.messageId,
        smsId: p.smsId,
        part: p.part,
        parts: msg.parts.length,
        label: msg.req.label,
        to: `+${msg.req.to}`,
        from: msg.req.from,
        country: countryOf(msg.req.to),
        operator: operatorOf(msg.req.to),
        groups: [],
        status: {
          name: msg.status.name,
          ...(msg.status.reason ? { reason: msg.status.reason } : {}),
          updatedDate: msg.status.date,
        },
        message: msg.req.body,
        applicationName: APPLICATION_NAME,
        latency: msg.latency ?? 0,
        price: smsPartPrice(msg.status.name),
        direction: 'Outbound',
        originatingService: 'Sms',
      });
    }
  }
}

/** the file as Routee's answers spell it (fileUrl; the request has fileURL) */
function fileOf(req: ViberMessageSend): { fileName: string; fileType: string; fileUrl: string } | undefined {
  const file = req.body.viberFile;
  return file && { fileName: file.fileName, fileType: file.fileType, fileUrl: file.fileURL };
}

function wants(callback: CallbackRequest | undefined, status: string, terminal: Set<string>): boolean {
  return !!callback && (callback.strategy === 'OnChange' || terminal.has(status));
}
