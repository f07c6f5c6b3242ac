import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { DomainError, type DomainErrorCode } from '@app/flow';
import { isDatabaseUnavailable } from '@app/persistence';
import { GatewayError, type GatewayErrorCode } from './gateway-error';

/** every error code of this surface (the gateway's own and the domain's) and its HTTP status: the one mapping */
const STATUS: Record<GatewayErrorCode | DomainErrorCode, number> = {
  missing_credentials: HttpStatus.FORBIDDEN,
  invalid_credentials: HttpStatus.UNAUTHORIZED,
  invalid_callback_token: HttpStatus.UNAUTHORIZED,
  not_found: HttpStatus.NOT_FOUND,
  validation: HttpStatus.UNPROCESSABLE_ENTITY,
  idempotency_mismatch: HttpStatus.CONFLICT,
  idempotency_in_progress: HttpStatus.CONFLICT,
  database_unavailable: HttpStatus.SERVICE_UNAVAILABLE,
  rate_limited: HttpStatus.TOO_MANY_REQUESTS,
  flow_not_found: HttpStatus.NOT_FOUND,
  phone_rate_limited: HttpStatus.TOO_MANY_REQUESTS,
};

/** The one error shape: `{"detail": "..."}`, or `{"detail": [{loc, msg, type}]}` for validation. */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly log = new Logger('Http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { status, body } = this.toResponse(exception);
    if (status === HttpStatus.SERVICE_UNAVAILABLE)
      this.log.warn(`503: ${exception instanceof Error ? exception.message : String(exception)}`);
    else if (status >= 500)
      this.log.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    const retryAfterSec =
      exception instanceof GatewayError || exception instanceof DomainError ? exception.retryAfterSec : undefined;
    if (retryAfterSec !== undefined) void reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfterSec))));
    void reply.status(status).send(body);
  }

  private toResponse(exception: unknown): { status: number; body: { detail: unknown } } {
    if (exception instanceof GatewayError) {
      return { status: STATUS[exception.code], body: { detail: exception.problems ?? exception.message } };
    }
    if (exception instanceof DomainError) {
      // a flow that is gone reads as any unknown id does
      return {
        status: STATUS[exception.code],
        body: { detail: exception.code === 'flow_not_found' ? 'tracking not found' : exception.message },
      };
    }
    if (exception instanceof HttpException) {
      const response = exception.getResponse();
      const detail =
        typeof response === 'object' && response !== null && 'detail' in response
          ? (response as { detail: unknown }).detail
          : exception.message;
      return { status: exception.getStatus(), body: { detail } };
    }
    // errors Fastify raises before our code runs: bad JSON, body too large, bad content type
    const fastifyStatus = (exception as { statusCode?: number })?.statusCode;
    if (typeof fastifyStatus === 'number' && fastifyStatus >= 400 && fastifyStatus < 500) {
      return { status: fastifyStatus, body: { detail: (exception as Error).message } };
    }
    // every DB-down shape (pg, pg-pool, TypeORM-wrapped): the caller may retry, unlike after a 500
    if (isDatabaseUnavailable(exception)) {
      return { status: HttpStatus.SERVICE_UNAVAILABLE, body: { detail: 'database unavailable, retry shortly' } };
    }
    return { status: HttpStatus.INTERNAL_SERVER_ERROR, body: { detail: 'internal error' } };
  }
}
