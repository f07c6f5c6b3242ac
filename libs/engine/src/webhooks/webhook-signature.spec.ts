import { createHmac } from 'node:crypto';
import { signWebhook, verifyWebhook } from './webhook-signature';

describe('webhook signature', () => {
  const body = '{"flowId":"f","status":"Succeeded"}';

  it('is t=<unix>,v1=<hex hmac-sha256 of "t.body">', () => {
    const expected = createHmac('sha256', 's3cret').update(`1700000000.${body}`).digest('hex');
    expect(signWebhook('s3cret', body, 1700000000)).toBe(`t=1700000000,v1=${expected}`);
  });

  it('verifies its own signature and refuses a changed body, another secret, an old timestamp', () => {
    const header = signWebhook('s3cret', body, 1700000000);
    expect(verifyWebhook('s3cret', body, header, 1700000010)).toBe(true);
    expect(verifyWebhook('s3cret', body.replace('Succeeded', 'Failed'), header, 1700000010)).toBe(false);
    expect(verifyWebhook('other', body, header, 1700000010)).toBe(false);
    expect(verifyWebhook('s3cret', body, header, 1700000000 + 301)).toBe(false);
    expect(verifyWebhook('s3cret', body, 'garbage', 1700000010)).toBe(false);
  });
});
