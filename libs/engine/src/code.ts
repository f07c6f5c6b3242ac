import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  randomInt,
  timingSafeEqual,
} from 'node:crypto';

/**
 * A flow's code (CONTRACT section 11), under CODE_SECRET: never stored in
 * clear. POST /otp/verify checks its HMAC; the steps still to send read it
 * back from its AES-256-GCM seal, which is erased once the flow is final.
 * Both are bound to the flow's id (the HMAC's input, the seal's associated
 * data), so a code's hash or seal means nothing in another flow.
 */

/** HMAC-SHA256 over the flow's id and the code, hex: what POST /otp/verify compares */
export function codeHash(secret: string, flowId: string, code: string): string {
  return createHmac('sha256', secret).update(`${flowId}:${code}`).digest('hex');
}

/** whether `code` is the flow's, compared in constant time */
export function codeMatches(secret: string, flowId: string, code: string, storedHash: string): boolean {
  const given = Buffer.from(codeHash(secret, flowId, code), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}

const sealKeys = new Map<string, Buffer>();

/** the seal's key: derived from CODE_SECRET (HKDF-SHA256), never the secret itself; derived once per secret (HKDF costs ~0.2 ms) */
function sealKey(secret: string): Buffer {
  let key = sealKeys.get(secret);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', secret, '', 'otp-gateway code seal v1', 32));
    sealKeys.set(secret, key);
  }
  return key;
}

/** AES-256-GCM: base64url of iv (12 bytes) | tag (16) | ciphertext */
export function sealCode(secret: string, flowId: string, code: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealKey(secret), iv);
  cipher.setAAD(Buffer.from(flowId));
  const sealed = Buffer.concat([cipher.update(code, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url');
}

/** the code back from its seal; throws when the seal was not made for this flow under this secret */
export function openCode(secret: string, flowId: string, seal: string): string {
  const raw = Buffer.from(seal, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', sealKey(secret), raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(flowId));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}

export type CodeAlphabet = 'numeric' | 'alphanumeric';

const ALPHABETS: Record<CodeAlphabet, string> = {
  numeric: '0123456789',
  alphanumeric: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
};

/** a code of `length` characters drawn uniformly with the CSPRNG (crypto.randomInt) */
export function generateCode(length: number, alphabet: CodeAlphabet): string {
  const chars = ALPHABETS[alphabet];
  return Array.from({ length }, () => chars[randomInt(chars.length)]).join('');
}

/** where a step's text holds the code: stored definitions carry this, and the code is put in at send time */
export const CODE_PLACEHOLDER = '{code}';
