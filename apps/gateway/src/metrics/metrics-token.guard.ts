import { createHash, timingSafeEqual } from 'node:crypto';
import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { GatewayConfig } from '@app/config';
import { GatewayError } from '../common/gateway-error';
import { GATEWAY_CONFIG } from '../gateway-config.provider';

/**
 * GET /metrics takes no API key (a Prometheus server has none) but, with
 * METRICS_TOKEN set, `Authorization: Bearer <METRICS_TOKEN>` (Prometheus'
 * `authorization` scrape setting); unset, the route is open. Compared in
 * constant time over both sides' hashes, like the callback token.
 */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  private readonly expected: Buffer | null;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    this.expected = config.metricsToken === undefined ? null : digest(config.metricsToken);
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.expected === null) return true;
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization;
    const token = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
    if (token === undefined || !timingSafeEqual(digest(token), this.expected)) {
      throw new GatewayError('invalid_credentials', 'Invalid or missing metrics token');
    }
    return true;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
