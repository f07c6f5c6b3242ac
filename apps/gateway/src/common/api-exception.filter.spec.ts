import type { ArgumentsHost } from '@nestjs/common';
import { DomainError } from '@app/flow';
import { PhoneRateLimitedError } from '@app/persistence';
import { ApiExceptionFilter } from './api-exception.filter';
import { GatewayError } from './gateway-error';

/** what the filter answers for an error: status, headers and body, through a stand-in of Fastify's reply */
function answer(exception: unknown): { status: number; headers: Record<string, string>; body: unknown } {
  const out = { status: 0, headers: {} as Record<string, string>, body: undefined as unknown };
  const reply = {
    header: (name: string, value: string) => ((out.headers[name] = value), reply),
    status: (code: number) => ((out.status = code), reply),
    send: (body: unknown) => ((out.body = body), reply),
  };
  const host = { switchToHttp: () => ({ getResponse: () => reply }) } as unknown as ArgumentsHost;
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
