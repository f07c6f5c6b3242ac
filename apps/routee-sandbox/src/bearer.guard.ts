import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { TokenService } from './token.service';

/** Every Routee API route wants a valid, unexpired, unrevoked bearer token. */
@Injectable()
export class BearerGuard implements CanActivate {
  constructor(@Inject(TokenService) private readonly tokens: TokenService) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    this.tokens.verify(req.headers.authorization);
    return true;
  }
}
