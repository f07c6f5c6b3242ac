import { createHmac, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import {
  signStandardWebhook,
  signWebhook,
  standardWebhookHeaders,
  standardWebhookKey,
  verifyWebhook,
} from './webhook-signature';

describe('webhook signature (legacy X-Webhook-Signature)', () => {
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

  it('rotation: one v1= entry per secret, in their order, and a receiver with either secret verifies', () => {
    const mac = (secret: string) => createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
    const header = signWebhook(['new-secret-0123456789', 'old-secret-0123456789'], body, 1700000000);
    expect(header).toBe(`t=1700000000,v1=${mac('new-secret-0123456789')},v1=${mac('old-secret-0123456789')}`);
    expect(signWebhook(['s3cret'], body, 1700000000)).toBe(signWebhook('s3cret', body, 1700000000));
    expect(verifyWebhook('new-secret-0123456789', body, header, 1700000010)).toBe(true);
    expect(verifyWebhook('old-secret-0123456789', body, header, 1700000010)).toBe(true);
    expect(verifyWebhook('third-secret-0123456', body, header, 1700000010)).toBe(false);
    expect(verifyWebhook('old-secret-0123456789', body.replace('Succeeded', 'Failed'), header, 1700000010)).toBe(false);
    // a second t= (one the signature does not cover) is refused rather than guessed at
    expect(verifyWebhook('old-secret-0123456789', body, `t=1700000005,${header}`, 1700000010)).toBe(false);
  });
});

describe('Standard Webhooks signature', () => {
  const body = '{"flowId":"f","status":"Succeeded"}';
  const id = '9b2f6a1e-3c4d-4e5f-8a9b-0c1d2e3f4a5b';
  const whsec = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;
  const plain = 'plain-secret-0123456789';

  it('is v1,<base64 hmac-sha256 of "id.t.body">, a whsec_ key base64-decoded, a plain one as its bytes', () => {
    const mac = (key: Buffer) => createHmac('sha256', key).update(`${id}.1700000000.${body}`).digest('base64');
    expect(standardWebhookKey(whsec)).toEqual(Buffer.alloc(32, 1));
    expect(standardWebhookKey(plain)).toEqual(Buffer.from(plain));
    expect(signStandardWebhook([whsec], id, 1700000000, body)).toBe(`v1,${mac(Buffer.alloc(32, 1))}`);
    // rotation: one entry per secret, space-separated, in the configured order
    expect(signStandardWebhook([whsec, plain], id, 1700000000, body)).toBe(
      `v1,${mac(Buffer.alloc(32, 1))} v1,${mac(Buffer.from(plain))}`,
    );
  });

  it('without secrets: webhook-id and webhook-timestamp, no webhook-signature', () => {
    expect(standardWebhookHeaders([], id, 1700000000, body)).toEqual({
      'webhook-id': id,
      'webhook-timestamp': '1700000000',
    });
  });

  it('the standardwebhooks library verifies it with the secret as configured (whsec_, or plain with format raw)', () => {
    const now = Math.floor(Date.now() / 1000);
    const random = `whsec_${randomBytes(24).toString('base64')}`;
    const headers = standardWebhookHeaders([random, plain], id, now, body);
    expect(new Webhook(random).verify(body, { ...headers })).toEqual(JSON.parse(body));
    expect(new Webhook(plain, { format: 'raw' }).verify(body, { ...headers })).toEqual(JSON.parse(body));
    // and it fails when it should: another secret, a changed body, another id, an old timestamp
    expect(() => new Webhook(`whsec_${randomBytes(24).toString('base64')}`).verify(body, { ...headers })).toThrow();
    expect(() => new Webhook(random).verify(body.replace('Succeeded', 'Failed'), { ...headers })).toThrow();
    expect(() => new Webhook(random).verify(body, { ...headers, 'webhook-id': `${id}0` })).toThrow();
    const old = standardWebhookHeaders([random], id, now - 600, body);
    expect(() => new Webhook(random).verify(body, { ...old })).toThrow(/too old/);
  });
});
