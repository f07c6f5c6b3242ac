import { createHash, randomBytes } from 'node:crypto';

/** What is stored for a key: its sha256, never the key. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function generateKey(): string {
  return `otpgw_${randomBytes(24).toString('base64url')}`;
}

/** the shown part of a key in listings */
export function keyPrefix(key: string): string {
  return key.slice(0, 12);
}
