/**
 * What happens to a message, scripted by the recipient's last two digits.
 * The table is mirrored in ../README.md (Viber OTP, SMS) and
 * docs/sandbox-viber-voice.md (Viber messages, Voice); keep them in step.
 *
 * | ends in | Viber (/viber/otp and /viber) | SMS         | Voice (/voice/conversation)      |
 * |---------|-------------------------------|-------------|----------------------------------|
 * | 01      | EXPIRED                       | Delivered   | Completed                        |
 * | 02      | UNDELIVERED                   | Delivered   | Busy                             |
 * | 03      | DELIVERED, never SEEN         | Delivered   | NoAnswer                         |
 * | 04      | DELIVERED then SEEN           | Delivered   | Completed                        |
 * | 05      | 400001009 on send             | same        | same                             |
 * | 06      | DELIVERED then SEEN           | Undelivered | Completed, answered by a MACHINE |
 * | 07      | 503 on send                   | Delivered   | 503 on send                      |
 * | 08      | FAILED                        | Undelivered | Failed                           |
 * | 09      | UNSENT                        | Delivered   | Unsent                           |
 * | other   | DELIVERED then SEEN           | Delivered   | Completed                        |
 */

export type Channel = 'viber' | 'sms' | 'voice';

export interface StatusReason {
  detailedStatus: string;
  description: string;
}

export interface ScriptedStatus {
  /** Routee's name: Viber upper case, SMS capitalised */
  name: string;
  reason?: StatusReason;
  /** offset from the send */
  atMs: number;
}

export type SendOutcome =
  { kind: 'accepted'; timeline: ScriptedStatus[] } | { kind: 'insufficient_balance' } | { kind: 'unavailable' };

/** a call's outcome: its status timeline and, once answered, who answered and for how long */
export type CallOutcome =
  | { kind: 'accepted'; timeline: ScriptedStatus[]; answeredBy: 'HUMAN' | 'MACHINE' | 'UNKNOWN'; durationSec: number }
  | { kind: 'insufficient_balance' }
  | { kind: 'unavailable' };

export interface Timing {
  statusDelayMs: number;
  seenDelayMs: number;
}

/** Routee's documented Viber detailed statuses (docs: viber-messaging-statuses). */
const VIBER_REASONS: Record<string, StatusReason> = {
  SENT: { detailedStatus: 'Sent', description: 'The message was sent to Viber.' },
  DELIVERED: { detailedStatus: 'Delivered', description: 'The message was delivered to its recipient.' },
  SEEN: { detailedStatus: 'Seen', description: 'The message was delivered and read by the recipient.' },
  EXPIRED: {
    detailedStatus: 'TTL Expired',
    description: 'The TTL of the message has expired. The message could not be delivered.',
  },
  UNDELIVERED: { detailedStatus: 'Not Viber User', description: 'The recipient is not a Viber user.' },
  FAILED: { detailedStatus: 'Message Rejected', description: 'Viber rejected the message due to incorrect parameters' },
  UNSENT: { detailedStatus: 'Unsent', description: 'Viber Message could not be sent due to insufficient balance.' },
};

/** Routee's documented SMS detailed statuses (docs: smstrackingsingle, callbacks). */
const SMS_REASONS: Record<string, StatusReason> = {
  Sent: { detailedStatus: 'Sent', description: 'The SMS was sent to the operator.' },
  Delivered: { detailedStatus: 'Delivered', description: 'The SMS was sent and it was delivered to its recipient.' },
  Undelivered: {
    detailedStatus: 'Undelivered on Handset',
    description: 'The SMS was sent but it could not be delivered to the handset.',
  },
};

export const VIBER_TERMINAL = new Set(['DELIVERED', 'SEEN', 'EXPIRED', 'UNDELIVERED', 'FAILED', 'UNSENT']);
export const SMS_TERMINAL = new Set(['Delivered', 'Undelivered', 'Failed', 'Unsent']);
/** Routee's final voice message statuses (docs: voice-messaging-statuses) */
export const VOICE_TERMINAL = new Set(['Completed', 'Busy', 'NoAnswer', 'Failed', 'Unsent', 'Terminated']);

export function scenarioOf(to: string): string {
  return to.replace(/\D/g, '').slice(-2);
}

export function viberOutcome(to: string, t: Timing): SendOutcome {
  const scenario = scenarioOf(to);
  const at = (name: string, atMs: number): ScriptedStatus => ({ name, reason: VIBER_REASONS[name], atMs });
  const sent = at('SENT', Math.floor(t.statusDelayMs / 2));
  const final = (name: string) => at(name, t.statusDelayMs);
  switch (scenario) {
    case '01':
      return accepted([sent, final('EXPIRED')]);
    case '02':
      return accepted([sent, final('UNDELIVERED')]);
    case '03':
      return accepted([sent, final('DELIVERED')]);
    case '05':
      return { kind: 'insufficient_balance' };
    case '07':
      return { kind: 'unavailable' };
    case '08':
      return accepted([final('FAILED')]);
    case '09':
      return accepted([final('UNSENT')]);
    default: // 04, 06 and anything else
      return accepted([sent, final('DELIVERED'), at('SEEN', t.statusDelayMs + t.seenDelayMs)]);
  }
}

export function smsOutcome(to: string, t: Timing): SendOutcome {
  const scenario = scenarioOf(to);
  if (scenario === '05') return { kind: 'insufficient_balance' };
  const at = (name: string, atMs: number): ScriptedStatus => ({ name, reason: SMS_REASONS[name], atMs });
  // The gateway counts SMS "Sent" as success (README, "Sending") and a Succeeded flow stays
  // Succeeded, so a scripted failure goes Queued → Undelivered without a "Sent" in
  // between: otherwise the flow's outcome would depend on whether a poll saw "Sent".
  if (scenario === '06' || scenario === '08') return accepted([at('Undelivered', t.statusDelayMs)]);
  return accepted([at('Sent', Math.floor(t.statusDelayMs / 2)), at('Delivered', t.statusDelayMs)]);
}

/** seconds a scripted answered call lasts (the Failover callback example's Voice step: 4 s) */
export const VOICE_ANSWERED_DURATION_SEC = 4;

/**
 * Voice, by the same suffixes: Queued (the send), Initiated, Ringing, then the final
 * state as voice-messaging-statuses names it. An answered call goes InProgress before
 * Completed; Busy is refused before it rings; Failed and Unsent never start.
 */
export function voiceOutcome(to: string, t: Timing): CallOutcome {
  const d = t.statusDelayMs;
  const at = (name: string, atMs: number): ScriptedStatus => ({ name, atMs });
  const initiated = at('Initiated', Math.floor(d / 4));
  const ringing = at('Ringing', Math.floor(d / 2));
  const answered = (answeredBy: 'HUMAN' | 'MACHINE'): CallOutcome => ({
    kind: 'accepted',
    timeline: [initiated, ringing, at('InProgress', Math.floor((3 * d) / 4)), at('Completed', d)],
    answeredBy,
    durationSec: VOICE_ANSWERED_DURATION_SEC,
  });
  const unanswered = (timeline: ScriptedStatus[]): CallOutcome => ({
    kind: 'accepted',
    timeline,
    answeredBy: 'UNKNOWN',
    durationSec: 0,
  });
  switch (scenarioOf(to)) {
    case '02':
      return unanswered([initiated, at('Busy', d)]);
    case '03':
      return unanswered([initiated, ringing, at('NoAnswer', d)]);
    case '05':
      return { kind: 'insufficient_balance' };
    case '06':
      return answered('MACHINE');
    case '07':
      return { kind: 'unavailable' };
    case '08':
      return unanswered([at('Failed', d)]);
    case '09':
      return unanswered([at('Unsent', d)]);
    default:
      return answered('HUMAN');
  }
}

function accepted(timeline: ScriptedStatus[]): SendOutcome {
  return { kind: 'accepted', timeline };
}

export const VIBER_PRICE = 0.0093;
export const SMS_PART_PRICE = 0.0375;

/** Viber charges what reached the user; failed attempts cost nothing (Routee's examples show price 0 for EXPIRED). */
export function viberPrice(status: string): number {
  return ['EXPIRED', 'UNDELIVERED', 'FAILED', 'UNSENT'].includes(status) ? 0 : VIBER_PRICE;
}

/** per second of an answered call, billed per second (the Failover callback example: 4 s cost 0.0039466668) */
export const VOICE_PRICE_PER_SECOND = 0.0009866667;

/** "Routee charges for successful voice calls" (docs: voice-conversation): unanswered calls cost nothing */
export function voicePrice(status: string, durationSec: number): number {
  return status === 'Completed' ? Math.round(durationSec * VOICE_PRICE_PER_SECOND * 1e10) / 1e10 : 0;
}

export function smsPartPrice(status: string): number {
  return ['Failed', 'Unsent'].includes(status) ? 0 : SMS_PART_PRICE;
}

const COUNTRY_PREFIXES: Array<[string, string]> = [
  ['357', 'CY'],
  ['359', 'BG'],
  ['381', 'RS'],
  ['30', 'GR'],
  ['31', 'NL'],
  ['32', 'BE'],
  ['33', 'FR'],
  ['34', 'ES'],
  ['39', 'IT'],
  ['40', 'RO'],
  ['44', 'GB'],
  ['49', 'DE'],
  ['90', 'TR'],
  ['1', 'US'],
];

export function countryOf(digits: string): string {
  return COUNTRY_PREFIXES.find(([prefix]) => digits.startsWith(prefix))?.[1] ?? 'GR';
}

/** Greek mobile ranges by operator; other countries get 'Unknown'. */
const GR_OPERATORS: Array<[string, string]> = [
  ['30697', 'Cosmote'],
  ['30698', 'Cosmote'],
  ['30694', 'Vodafone'],
  ['30695', 'Vodafone'],
  ['30693', 'Nova'],
  ['30690', 'Nova'],
  ['3069', 'Cosmote'],
];

export function operatorOf(digits: string): string {
  return GR_OPERATORS.find(([prefix]) => digits.startsWith(prefix))?.[1] ?? 'Unknown';
}

// GSM 03.38 basic set; the extension set costs two septets.
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENDED = '^{}\\[~]|€\f';

/** Number of SMS parts Routee bills for a body: 160/153 GSM-7 septets, 70/67 UCS-2 characters. */
export function smsPartsOf(body: string): { parts: number; characters: number; unicode: boolean } {
  const chars = [...body];
  const unicode = chars.some((c) => !GSM_BASIC.includes(c) && !GSM_EXTENDED.includes(c));
  const units = unicode ? body.length : chars.reduce((n, c) => n + (GSM_EXTENDED.includes(c) ? 2 : 1), 0);
  const [single, multi] = unicode ? [70, 67] : [160, 153];
  const parts = units <= single ? 1 : Math.ceil(units / multi);
  return { parts, characters: chars.length, unicode };
}
