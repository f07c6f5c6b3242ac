import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { GatewayError } from '../common/gateway-error';
import { IS_PUBLIC } from '../common/public.decorator';
import { ApiKeyService, type Caller } from './api-key.service';
import { KeyRateLimiter } from './key-rate-limiter';

export type AuthedRequest = FastifyRequest & { caller?: Caller };

/**
 * Every route needs `Authorization: Bearer <key>` unless marked @Public(). Routee's wording for the errors.
 * A known key then passes the per-key rate limit (KEY_RATE_LIMIT_PER_MIN, off by default).
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeyService,
    private readonly rateLimiter: KeyRateLimiter,
  ) {}

  /** @Public() per route handler: decorators are read once, not on every request */
  private readonly publicHandlers = new WeakMap<object, boolean>();

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.isPublic(context)) return true;
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw new GatewayError('missing_credentials', 'Missing Bearer credentials');
    const caller = await this.keys.verify(match[1]);
    if (!caller) throw new GatewayError('invalid_credentials', 'Invalid or expired Bearer token');
    this.rateLimiter.take(caller.keyId);
    request.caller = caller;
    return true;
  }

  private isPublic(context: ExecutionContext): boolean {
    const handler = context.getHandler();
    let isPublic = this.publicHandlers.get(handler);
    if (isPublic === undefined) {
      isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [handler, context.getClass()]) === true;
      this.publicHandlers.set(handler, isPublic);
    }
    return isPublic;
  }
}
