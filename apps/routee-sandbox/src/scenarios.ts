/**
 * What happens to a message, scripted by the recipient's last two digits.
 * The table is mirrored in ../README.md; keep both in step.
 */

export type Channel = 'viber' | 'sms';

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

function accepted(timeline: ScriptedStatus[]): SendOutcome {
  return { kind: 'accepted', timeline };
}

export const VIBER_PRICE = 0.0093;
export const SMS_PART_PRICE = 0.0375;

/** Viber charges what reached the user; failed attempts cost nothing (Routee's examples show price 0 for EXPIRED). */
export function viberPrice(status: string): number {
  return ['EXPIRED', 'UNDELIVERED', 'FAILED', 'UNSENT'].includes(status) ? 0 : VIBER_PRICE;
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
