import {
  type CallbackRequest,
  dropUndefined,
  isHttpUrl,
  objectBody,
  oneOf,
  parseCallback,
  Problems,
} from './send-requests';

/**
 * The body of POST /voice/conversation
 * (https://docs.routee.net/reference/perform-a-voice-conversation), checked as
 * strictly as Routee documents it: `from` (required), `to {phone | sip | viber}`
 * (the sandbox dials `to.phone`, "+E.164"), `dialPlan {verbs}` or `dialPlanUrl`,
 * `callback {url, strategy OnChange|OnCompletion}`, `machineDetection {strategy
 * Hangup|Continue, eventUrl}`, `hangupDelay`, `maxDuration`. Verbs as
 * dialplan-verbs gives them: SAY `{message {text*, language*, gender}, repeat,
 * bargeIn}`, PLAY `{fileURL*, repeat, bargeIn}`; DIAL, COLLECT and PAUSE are
 * Routee verbs too and are taken unchecked (the sandbox plays no dial plan).
 * Fields the reference does not list are ignored.
 */
export type VoiceVerbSend =
  | { type: 'PLAY'; fileURL: string; repeat?: number; bargeIn?: boolean }
  | { type: 'SAY'; message: { text: string; language: string; gender?: string }; repeat?: number; bargeIn?: boolean }
  | { type: 'DIAL' | 'COLLECT' | 'PAUSE'; [field: string]: unknown };

export interface VoiceConversationSend {
  from: string;
  to: { phone: string; sip?: string; viber?: string };
  /** digits of to.phone, no '+' */
  phoneDigits: string;
  dialPlan?: { verbs: VoiceVerbSend[] };
  dialPlanUrl?: string;
  callback?: CallbackRequest;
  machineDetection?: { strategy: 'Hangup' | 'Continue'; eventUrl?: string };
  hangupDelay?: number;
  maxDuration?: number;
}

type Json = Record<string, unknown>;

const E164_WITH_PLUS = /^\+[1-9]\d{6,14}$/;
const VERBS = { min: 1, max: 10 };
const VERB_TYPES = ['SAY', 'PLAY', 'DIAL', 'COLLECT', 'PAUSE'] as const;
/** dialplan-verbs, SAY message.language: the 14 text-to-speech languages */
export const SAY_LANGUAGES = [
  'en-US',
  'de-DE',
  'fr-FR',
  'it-IT',
  'pt-BR',
  'es-ES',
  'es-LA',
  'en-GB',
  'el-GR',
  'bg-BG',
  'pl-PL',
  'hu-HU',
  'sv-SE',
  'ru-RU',
] as const;
const GENDERS = ['male', 'female'] as const;

export const VOICE_TO_PROBLEM =
  'must be a phone number in E.164 format, with + and the country code (e.g. +306912345678)';

export function parseVoiceConversation(raw: unknown): VoiceConversationSend {
  const req = objectBody(raw);
  const problems = new Problems('voice');
  const from = req.from;
  if (typeof from !== 'string' || from.trim() === '') problems.add('from', 'may not be empty');
  const to = parseTo(req.to, problems);
  let dialPlan: VoiceConversationSend['dialPlan'];
  let dialPlanUrl: string | undefined;
  if (req.dialPlan === undefined || req.dialPlan === null) {
    if (req.dialPlanUrl === undefined || req.dialPlanUrl === null) {
      problems.add('dialPlan', 'is required (or dialPlanUrl)');
    } else if (!isHttpUrl(req.dialPlanUrl)) {
      problems.add('dialPlanUrl', 'must be an http(s) URL');
    } else {
      dialPlanUrl = req.dialPlanUrl;
    }
  } else {
    dialPlan = parseDialPlan(req.dialPlan, problems);
  }
  const callback = parseCallback(req.callback, problems);
  const machineDetection = parseMachineDetection(req.machineDetection, problems);
  const hangupDelay = wholeAtLeast(
    req.hangupDelay,
    1,
    'hangupDelay',
    'must be a whole number of seconds, 1 or more',
    problems,
  );
  const maxDuration = wholeAtLeast(
    req.maxDuration,
    1,
    'maxDuration',
    'must be a whole number of seconds, 1 or more',
    problems,
  );
  problems.done();
  return dropUndefined({
    from: from as string,
    to: to!,
    phoneDigits: to!.phone.slice(1),
    dialPlan,
    dialPlanUrl,
    callback,
    machineDetection,
    hangupDelay,
    maxDuration,
  });
}

function parseTo(raw: unknown, problems: Problems): VoiceConversationSend['to'] | undefined {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    problems.add('to.phone', VOICE_TO_PROBLEM);
    return undefined;
  }
  const { phone, sip, viber } = raw as Json;
  if (typeof phone !== 'string' || !E164_WITH_PLUS.test(phone)) {
    problems.add('to.phone', VOICE_TO_PROBLEM);
    return undefined;
  }
  // the Failover API's own example sends "viber": "" and "sip": "": empty means none
  return dropUndefined({
    phone,
    sip: typeof sip === 'string' && sip !== '' ? sip : undefined,
    viber: typeof viber === 'string' && viber !== '' ? viber : undefined,
  });
}

function parseDialPlan(raw: unknown, problems: Problems): VoiceConversationSend['dialPlan'] {
  const verbs = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Json).verbs : undefined;
  if (!Array.isArray(verbs) || verbs.length < VERBS.min || verbs.length > VERBS.max) {
    problems.add('dialPlan.verbs', `must be a list of ${VERBS.min} to ${VERBS.max} verbs`);
    return undefined;
  }
  return { verbs: verbs.map((verb, i) => parseVerb(verb, `dialPlan.verbs[${i}]`, problems)) };
}

function parseVerb(raw: unknown, field: string, problems: Problems): VoiceVerbSend {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    problems.add(field, 'must be a verb object {type, …}');
    return raw as VoiceVerbSend;
  }
  const verb = raw as Json;
  const type = oneOf(verb.type, `${field}.type`, VERB_TYPES, problems);
  if (verb.type === undefined || verb.type === null) problems.add(`${field}.type`, 'may not be empty');
  if (type !== 'SAY' && type !== 'PLAY') return verb as VoiceVerbSend;
  // play-verb: "Default value 0. Set to -1 for infinite loop"
  const repeat = wholeAtLeast(
    verb.repeat,
    -1,
    `${field}.repeat`,
    'must be a whole number, -1 (forever) or more',
    problems,
  );
  const bargeIn = verb.bargeIn;
  if (bargeIn !== undefined && bargeIn !== null && typeof bargeIn !== 'boolean')
    problems.add(`${field}.bargeIn`, 'must be true or false');
  const common = dropUndefined({ repeat, bargeIn: typeof bargeIn === 'boolean' ? bargeIn : undefined });
  if (type === 'PLAY') {
    if (!isHttpUrl(verb.fileURL)) problems.add(`${field}.fileURL`, 'must be an http(s) URL of a .wav file');
    return { type, fileURL: verb.fileURL as string, ...common };
  }
  const message = verb.message;
  if (!message || typeof message !== 'object' || Array.isArray(message)) {
    problems.add(`${field}.message`, 'must be an object {text, language, gender}');
    return { type, message: message as { text: string; language: string }, ...common };
  }
  const { text, language, gender } = message as Json;
  if (typeof text !== 'string' || text.trim() === '') problems.add(`${field}.message.text`, 'may not be empty');
  if (language === undefined || language === null) problems.add(`${field}.message.language`, 'may not be empty');
  oneOf(language, `${field}.message.language`, SAY_LANGUAGES, problems);
  const g = oneOf(gender, `${field}.message.gender`, GENDERS, problems);
  return {
    type,
    message: dropUndefined({ text: text as string, language: language as string, gender: g }),
    ...common,
  };
}

function wholeAtLeast(v: unknown, min: number, field: string, problem: string, problems: Problems): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    problems.add(field, problem);
    return undefined;
  }
  return v;
}

function parseMachineDetection(raw: unknown, problems: Problems): VoiceConversationSend['machineDetection'] {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    problems.add('machineDetection', 'must be an object {strategy, eventUrl}');
    return undefined;
  }
  const { strategy, eventUrl } = raw as Json;
  if (strategy !== 'Hangup' && strategy !== 'Continue')
    problems.add('machineDetection.strategy', 'must be Hangup or Continue');
  if (eventUrl !== undefined && eventUrl !== null && !isHttpUrl(eventUrl))
    problems.add('machineDetection.eventUrl', 'must be an http(s) URL');
  return dropUndefined({
    strategy: strategy as 'Hangup' | 'Continue',
    eventUrl: typeof eventUrl === 'string' ? eventUrl : undefined,
  });
}
