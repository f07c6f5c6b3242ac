import { BlockList, isIP } from 'node:net';

/**
 * Which addresses a webhook may be delivered to. Link-local and cloud
 * metadata addresses are always refused (they reach the host's credentials);
 * private, loopback and unspecified ones only when `allowPrivate`.
 */
const ALWAYS_REFUSED = new BlockList();
ALWAYS_REFUSED.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local, incl. 169.254.169.254 metadata
ALWAYS_REFUSED.addAddress('100.100.100.200', 'ipv4'); // Alibaba Cloud metadata
ALWAYS_REFUSED.addSubnet('fe80::', 10, 'ipv6'); // link-local
ALWAYS_REFUSED.addAddress('fd00:ec2::254', 'ipv6'); // AWS metadata over IPv6

const PRIVATE = new BlockList();
PRIVATE.addSubnet('10.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('172.16.0.0', 12, 'ipv4');
PRIVATE.addSubnet('192.168.0.0', 16, 'ipv4');
PRIVATE.addSubnet('127.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('0.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('100.64.0.0', 10, 'ipv4'); // carrier-grade NAT
PRIVATE.addSubnet('fc00::', 7, 'ipv6'); // unique local
PRIVATE.addAddress('::1', 'ipv6');
PRIVATE.addAddress('::', 'ipv6');

export type AddressVerdict = { ok: true } | { ok: false; reason: string };

export function checkAddress(address: string, allowPrivate: boolean): AddressVerdict {
  const family = isIP(address);
  if (family === 0) return { ok: false, reason: `${address} is not an IP address` };
  const type = family === 4 ? 'ipv4' : 'ipv6';
  // an IPv4-mapped IPv6 address (::ffff:169.254.169.254) is judged as the IPv4 it carries
  const mapped = type === 'ipv6' ? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1] : undefined;
  if (mapped) return checkAddress(mapped, allowPrivate);
  if (ALWAYS_REFUSED.check(address, type))
    return { ok: false, reason: `${address} is a link-local or cloud metadata address` };
  if (!allowPrivate && PRIVATE.check(address, type))
    return {
      ok: false,
      reason: `${address} is a private or loopback address (set WEBHOOK_ALLOW_PRIVATE=true to allow)`,
    };
  return { ok: true };
}
