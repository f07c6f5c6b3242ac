import type { ArgumentsHost } from '@nestjs/common';
import { DomainError } from '@app/flow';
import { PhoneRateLimitedError } from '@app/persistence';
import { PlatformError } from '../failover-api/platform-error';
import { ApiExceptionFilter, propertiesOf } from './api-exception.filter';
import { GatewayError } from './gateway-error';

/** what the filter answers for an error on a route: status, headers and body, through stand-ins of Fastify's request and reply */
function answer(
  exception: unknown,
  url = '/otp/send-failover',
): { status: number; headers: Record<string, string>; body: unknown } {
  const out = { status: 0, headers: {} as Record<string, string>, body: undefined as unknown };
  const reply = {
    header: (name: string, value: string) => ((out.headers[name] = value), reply),
    status: (code: number) => ((out.status = code), reply),
    send: (body: unknown) => ((out.body = body), reply),
  };
  const host = {
    switchToHttp: () => ({ getResponse: () => reply, getRequest: () => ({ url }) }),
  } as unknown as ArgumentsHost;
  new ApiExceptionFilter().catch(exception, host);
  return out;
}

describe('ApiExceptionFilter: every code of the failover-otp surface to its HTTP answer, in one place', () => {
  it.each<[string, unknown, number, Record<string, string>, unknown]>([
    [
      'a flow that is gone',
      new DomainError('flow_not_found', 'flow 1 vanished'),
      404,
      {},
      { detail: 'tracking not found' },
    ],
    [
      'the per-phone limit',
      new PhoneRateLimitedError(12.2, 5, 600),
      429,
      { 'retry-after': '13' },
      { detail: 'too many OTP flows to this number: at most 5 in 600 s; retry in 12.2 s' },
    ],
    [
      'the per-key limit',
      GatewayError.rateLimited('too many requests for this key', 30),
      429,
      { 'retry-after': '30' },
      { detail: 'too many requests for this key' },
    ],
    ['an unknown id', new GatewayError('not_found', 'tracking not found'), 404, {}, { detail: 'tracking not found' }],
    [
      'a field',
      GatewayError.field(['body', 'flow'], 'flow is required', 'isDefined'),
      422,
      {},
      { detail: [{ loc: ['body', 'flow'], msg: 'flow is required', type: 'isDefined' }] },
    ],
    [
      'no credentials',
      new GatewayError('missing_credentials', 'Missing Bearer credentials'),
      403,
      {},
      { detail: 'Missing Bearer credentials' },
    ],
    ['a bug', new Error('boom'), 500, {}, { detail: 'internal error' }],
  ])('%s', (_what, exception, status, headers, body) => {
    expect(answer(exception)).toEqual({ status, headers, body });
  });
});

describe("ApiExceptionFilter on the Failover API (/failover*): Routee's platform body", () => {
  const validation = new GatewayError('validation', 'validation failed', [
    { loc: ['body', 'flow', 1, 'to'], msg: 'to must be an E.164 phone number', type: 'matches' },
    { loc: ['body', 'flow', 0, 'message', 'body'], msg: 'body is required', type: 'isDefined' },
    { loc: ['body', 'callback', 'url'], msg: 'url must be an http(s) URL', type: 'matches' },
  ]);

  it.each<[string, unknown, string, number, Record<string, string>, unknown]>([
    [
      'a validation: 400, one property per field',
      validation,
      '/failover',
      400,
      {},
      {
        code: '400000000',
        developerMessage: 'Validation failed',
        properties: {
          'flow[1].to': 'to must be an E.164 phone number',
          'flow[0].message.body': 'body is required',
          'callback.url': 'url must be an http(s) URL',
        },
      },
    ],
    [
      'a query parameter, named without its source',
      GatewayError.field(['query', 'dateStart'], 'dateStart must be an ISO 8601 date'),
      '/failover/tracking?dateStart=x',
      400,
      {},
      {
        code: '400000000',
        developerMessage: 'Validation failed',
        properties: { dateStart: 'dateStart must be an ISO 8601 date' },
      },
    ],
    [
      'no credentials',
      new GatewayError('missing_credentials', 'Missing Bearer credentials'),
      '/failover',
      403,
      {},
      { code: '403000000', developerMessage: 'Missing Bearer credentials' },
    ],
    [
      'an unknown key',
      new GatewayError('invalid_credentials', 'Invalid or expired Bearer token'),
      '/failover/tracking/abc',
      401,
      {},
      { code: '401000000', developerMessage: 'Invalid or expired Bearer token' },
    ],
    [
      'an unknown id',
      new GatewayError('not_found', 'tracking not found'),
      '/failover/tracking/abc',
      404,
      {},
      { code: '404000000', developerMessage: 'tracking not found' },
    ],
    [
      'a PlatformError as raised',
      PlatformError.badRequest({ 'flow[1].order': 'order 1 is used twice' }),
      '/failover',
      400,
      {},
      {
        code: '400000000',
        developerMessage: 'Validation failed',
        properties: { 'flow[1].order': 'order 1 is used twice' },
      },
    ],
    [
      'an Idempotency-Key reused with another body',
      new GatewayError('idempotency_mismatch', 'Idempotency-Key was already used with a different request body'),
      '/failover',
      409,
      {},
      { code: '409000000', developerMessage: 'Idempotency-Key was already used with a different request body' },
    ],
    [
      'the per-key limit keeps its Retry-After',
      GatewayError.rateLimited('too many requests for this key', 30),
      '/failover',
      429,
      { 'retry-after': '30' },
      { code: '429000000', developerMessage: 'too many requests for this key' },
    ],
    [
      'Postgres down',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      '/failover',
      503,
      {},
      { code: '503000000', developerMessage: 'database unavailable, retry shortly' },
    ],
    [
      "Fastify's bad JSON",
      Object.assign(new Error('Unexpected token } in JSON'), { statusCode: 400 }),
      '/failover',
      400,
      {},
      { code: '400000000', developerMessage: 'Unexpected token } in JSON' },
    ],
  ])('%s', (_what, exception, url, status, headers, body) => {
    expect(answer(exception, url)).toEqual({ status, headers, body });
  });

  it.each(['/otp/failover/abc', '/failovers', '/', '/routee/callbacks/sms'])('%s keeps the {detail} body', (url) => {
    expect(answer(new GatewayError('not_found', 'tracking not found'), url).body).toEqual({
      detail: 'tracking not found',
    });
  });

  it('joins two findings on one field', () => {
    expect(
      propertiesOf([
        { loc: ['body', 'flow', 0, 'ttl'], msg: 'a', type: 'x' },
        { loc: ['body', 'flow', 0, 'ttl'], msg: 'b', type: 'y' },
        { loc: ['header', 'Idempotency-Key'], msg: 'c', type: 'z' },
        { loc: ['body'], msg: 'd', type: 'z' },
      ]),
    ).toEqual({ 'flow[0].ttl': 'a; b', 'Idempotency-Key': 'c', body: 'd' });
  });
});
