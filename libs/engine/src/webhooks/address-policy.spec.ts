import { checkAddress } from './address-policy';

describe('checkAddress', () => {
  const table: [string, boolean, boolean][] = [
    // address, allowPrivate, ok
    ['93.184.216.34', false, true],
    ['2606:2800:220:1::1', false, true],
    ['169.254.169.254', true, false],
    ['169.254.1.1', true, false],
    ['100.100.100.200', true, false],
    ['fe80::1', true, false],
    ['fd00:ec2::254', true, false],
    ['::ffff:169.254.169.254', true, false],
    ['127.0.0.1', false, false],
    ['127.0.0.1', true, true],
    ['10.1.2.3', false, false],
    ['10.1.2.3', true, true],
    ['172.16.0.1', false, false],
    ['172.32.0.1', false, true],
    ['192.168.1.1', false, false],
    ['0.0.0.0', false, false],
    ['::1', false, false],
    ['::1', true, true],
    ['fc00::1', false, false],
    ['::ffff:10.0.0.1', false, false],
    ['::ffff:8.8.8.8', false, true],
    ['not-an-ip', true, false],
  ];
  it.each(table)('%s (allowPrivate %s) → ok %s', (address, allowPrivate, ok) => {
    expect(checkAddress(address, allowPrivate).ok).toBe(ok);
  });
});
