/** 306912345671 → 3069****671: enough to tell numbers apart in logs, not to reuse them (length hidden too). */
export function maskPhone(phone: string): string {
  if (phone.length < 8) return '****';
  return `${phone.slice(0, 4)}****${phone.slice(-3)}`;
}
