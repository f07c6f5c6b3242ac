import { createHash, timingSafeEqual } from 'node:crypto';
import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { GatewayConfig } from '@app/config';
import { GatewayError } from '../common/gateway-error';
import { GATEWAY_CONFIG } from '../gateway-config.provider';

/**
 * Routee cannot sign its callbacks, so the callback URL we hand it carries
 * ROUTEE_CALLBACK_TOKEN (`?token=`). Compared in constant time: both sides are
 * hashed first, which also evens out their lengths.
 */
@Injectable()
export class CallbackTokenGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    this.expected = digest(config.callbackToken);
  }

  canActivate(context: ExecutionContext): boolean {
    const query = context.switchToHttp().getRequest<FastifyRequest>().query as Record<string, unknown> | undefined;
    const token = query?.token;
    if (typeof token !== 'string' || !timingSafeEqual(digest(token), this.expected)) {
      throw new GatewayError('invalid_callback_token', 'invalid callback token');
    }
    return true;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
