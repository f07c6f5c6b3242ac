import {
  dropUndefined,
  isHttpUrl,
  objectBody,
  optionalInteger,
  optionalString,
  Problems,
  recipient,
  VIBER_TTL_SECONDS,
} from './send-requests';

/**
 * The body of POST /viber, Routee's single Viber message
 * (https://docs.routee.net/reference/send-a-viber-single-message), checked as
 * strictly as Routee documents it: `{senderInfoTrackingId, to, body {text,
 * imageURL, action {caption, targetUrl}, viberFile {fileName, fileType,
 * fileURL}, viberVideo}, ttl, callbackUrl, inboundUrl, label, isSessionMessage}`.
 * The reference page's request table is not in the stored copies; the field
 * names are those of routee-docs/upstream-viber-and-voice.md, and the limits
 * the answer's table gives (ttl 30-86400 s, image https ≤ 1000 characters) and
 * Routee's Failover Viber step (text ≤ 1000, caption 1-30, fileName ≤ 25,
 * label ≤ 350). Fields the reference does not list are ignored, as the other
 * sandbox routes ignore them.
 */
export interface ViberMessageSend {
  senderInfoTrackingId: string;
  /** digits, no '+' */
  to: string;
  body: {
    text?: string;
    imageURL?: string;
    action?: { caption: string; targetUrl: string };
    viberFile?: { fileName: string; fileType: string; fileURL: string };
  };
  /** seconds */
  ttl?: number;
  callbackUrl?: string;
  inboundUrl?: string;
  label?: string;
  isSessionMessage?: boolean;
}

type Json = Record<string, unknown>;

const TEXT_MAX = 1000;
const URL_MAX = 1000;
const CAPTION = { min: 1, max: 30 };
const FILE_NAME_MAX = 25;
const LABEL_MAX = 350;

export const VIBER_MESSAGE_TO_PROBLEM =
  'must be one recipient in E.164 format, with + and the country code (e.g. +306912345678)';

export function parseViberMessageSend(raw: unknown): ViberMessageSend {
  const req = objectBody(raw);
  const problems = new Problems('viber');
  const sender = req.senderInfoTrackingId;
  if (typeof sender !== 'string' || sender.trim() === '') problems.add('senderInfoTrackingId', 'may not be empty');
  const to = recipient(req.to, problems, VIBER_MESSAGE_TO_PROBLEM);
  const body = parseContent(req.body, problems);
  const ttl = optionalInteger(req.ttl, 'ttl', VIBER_TTL_SECONDS, problems);
  const callbackUrl = optionalUrl(req.callbackUrl, 'callbackUrl', problems);
  const inboundUrl = optionalUrl(req.inboundUrl, 'inboundUrl', problems);
  const label = optionalString(req.label, 'label', problems, LABEL_MAX);
  const session = req.isSessionMessage;
  if (session !== undefined && session !== null && typeof session !== 'boolean')
    problems.add('isSessionMessage', 'must be true or false');
  problems.done();
  return dropUndefined({
    senderInfoTrackingId: sender as string,
    to: to!,
    body: body!,
    ttl,
    callbackUrl,
    inboundUrl,
    label,
    isSessionMessage: typeof session === 'boolean' ? session : undefined,
  });
}

/** `body`: text unless an image or a file carries the message */
function parseContent(raw: unknown, problems: Problems): ViberMessageSend['body'] | undefined {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    problems.add('body', 'must be an object {text, imageURL, action, viberFile}');
    return undefined;
  }
  const body = raw as Json;
  const imageURL = httpsUrl(body.imageURL, 'body.imageURL', problems);
  const viberFile = parseFile(body.viberFile, problems);
  const text = body.text;
  const hasMedia = body.imageURL !== undefined && body.imageURL !== null;
  const hasFile = body.viberFile !== undefined && body.viberFile !== null;
  if (text === undefined || text === null || text === '') {
    if (!hasMedia && !hasFile) problems.add('body.text', 'may not be empty unless an image or a file is given');
  } else if (typeof text !== 'string' || text.length > TEXT_MAX) {
    problems.add('body.text', `must be a string of at most ${TEXT_MAX} characters`);
  }
  const action = parseAction(body.action, problems);
  return dropUndefined({
    text: typeof text === 'string' && text !== '' ? text : undefined,
    imageURL,
    action,
    viberFile,
  });
}

function parseAction(raw: unknown, problems: Problems): { caption: string; targetUrl: string } | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    problems.add('body.action', 'must be an object {caption, targetUrl}');
    return undefined;
  }
  const { caption, targetUrl } = raw as Json;
  if (typeof caption !== 'string' || caption.length < CAPTION.min || caption.length > CAPTION.max)
    problems.add('body.action.caption', `must be a string of ${CAPTION.min} to ${CAPTION.max} characters`);
  if (!isHttpUrl(targetUrl)) problems.add('body.action.targetUrl', 'must be an http(s) URL');
  return { caption: caption as string, targetUrl: targetUrl as string };
}

function parseFile(
  raw: unknown,
  problems: Problems,
): { fileName: string; fileType: string; fileURL: string } | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    problems.add('body.viberFile', 'must be an object {fileName, fileType, fileURL}');
    return undefined;
  }
  const { fileName, fileType, fileURL } = raw as Json;
  if (typeof fileName !== 'string' || fileName === '' || fileName.length > FILE_NAME_MAX)
    problems.add('body.viberFile.fileName', `must be a string of 1 to ${FILE_NAME_MAX} characters`);
  if (typeof fileType !== 'string' || fileType === '') problems.add('body.viberFile.fileType', 'may not be empty');
  if (!isHttps(fileURL)) problems.add('body.viberFile.fileURL', 'must be an https URL');
  return { fileName: fileName as string, fileType: fileType as string, fileURL: fileURL as string };
}

function httpsUrl(v: unknown, field: string, problems: Problems): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isHttps(v) || v.length > URL_MAX) {
    problems.add(field, `must be an https URL of at most ${URL_MAX} characters`);
    return undefined;
  }
  return v;
}

function optionalUrl(v: unknown, field: string, problems: Problems): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isHttpUrl(v)) {
    problems.add(field, 'must be an http(s) URL');
    return undefined;
  }
  return v;
}

function isHttps(v: unknown): v is string {
  return isHttpUrl(v) && v.startsWith('https://');
}
