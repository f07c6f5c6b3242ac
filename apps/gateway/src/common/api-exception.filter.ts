import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequestLogger } from '@app/engine';
import { DomainError, type DomainErrorCode } from '@app/flow';
import { isDatabaseUnavailable } from '@app/persistence';
import { PlatformError, platformCode, type PlatformErrorBody } from '../failover-api/platform-error';
import { GatewayError, type FieldProblem, type GatewayErrorCode } from './gateway-error';

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

/** what went wrong, before it is written in a surface's dialect */
interface Failure {
  status: number;
  message: string;
  /** the per-field findings of a validation */
  problems?: FieldProblem[];
  /** a Failover API error raised as such: rendered as it is */
  platform?: PlatformError;
}

/** Routee's Failover API (CONTRACT section 10): `/failover`, `/failover/...`, `/failover?...` */
const FAILOVER_API_PATH = /^\/failover(?:[/?#]|$)/;

/**
 * The one place errors become HTTP answers. Each surface speaks its own Routee dialect (CONTRACT section 10,
 * Decision): `/failover*` Routee's platform body `{code, developerMessage, properties?}` (validation a 400 with
 * one property per field), every other route the failover-otp body `{"detail": "..."}`, or
 * `{"detail": [{loc, msg, type}]}` for validation (a 422).
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly log = new RequestLogger('Http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest | undefined>();
    const failure = this.toFailure(exception);
    const log = this.log.for(request?.id);
    if (failure.status === HttpStatus.SERVICE_UNAVAILABLE)
      log.warn(`503: ${exception instanceof Error ? exception.message : String(exception)}`);
    else if (failure.status >= 500)
      log.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    const retryAfterSec =
      exception instanceof GatewayError || exception instanceof DomainError ? exception.retryAfterSec : undefined;
    if (retryAfterSec !== undefined) void reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfterSec))));
    const { status, body } = isFailoverApi(request) ? toPlatformAnswer(failure) : toDetailAnswer(failure);
    void reply.status(status).send(body);
  }

  private toFailure(exception: unknown): Failure {
    if (exception instanceof PlatformError) {
      return { status: exception.status, message: exception.message, platform: exception };
    }
    if (exception instanceof GatewayError) {
      return { status: STATUS[exception.code], message: exception.message, problems: exception.problems };
    }
    if (exception instanceof DomainError) {
      // a flow that is gone reads as any unknown id does
      return {
        status: STATUS[exception.code],
        message: exception.code === 'flow_not_found' ? 'tracking not found' : exception.message,
      };
    }
    if (exception instanceof HttpException) {
      const response = exception.getResponse();
      const detail =
        typeof response === 'object' && response !== null && 'detail' in response
          ? (response as { detail: unknown }).detail
          : exception.message;
      return { status: exception.getStatus(), message: typeof detail === 'string' ? detail : exception.message };
    }
    // errors Fastify raises before our code runs: bad JSON, body too large, bad content type
    const fastifyStatus = (exception as { statusCode?: number })?.statusCode;
    if (typeof fastifyStatus === 'number' && fastifyStatus >= 400 && fastifyStatus < 500) {
      return { status: fastifyStatus, message: (exception as Error).message };
    }
    // every DB-down shape (pg, pg-pool, TypeORM-wrapped): the caller may retry, unlike after a 500
    if (isDatabaseUnavailable(exception)) {
      return { status: HttpStatus.SERVICE_UNAVAILABLE, message: 'database unavailable, retry shortly' };
    }
    return { status: HttpStatus.INTERNAL_SERVER_ERROR, message: 'internal error' };
  }
}

export function isFailoverApi(request: FastifyRequest | undefined): boolean {
  const url = request?.url;
  return typeof url === 'string' && FAILOVER_API_PATH.test(url);
}

function toDetailAnswer({ status, message, problems }: Failure): { status: number; body: { detail: unknown } } {
  return { status, body: { detail: problems ?? message } };
}

/** Routee's platform body; a validation is a 400 there, its findings one property per field */
function toPlatformAnswer({ status, message, problems, platform }: Failure): {
  status: number;
  body: PlatformErrorBody;
} {
  if (platform) return { status, body: platform.body };
  if (problems && problems.length > 0) {
    return { status: HttpStatus.BAD_REQUEST, body: PlatformError.badRequest(propertiesOf(problems)).body };
  }
  const platformStatus = status === HttpStatus.UNPROCESSABLE_ENTITY ? HttpStatus.BAD_REQUEST : status;
  return { status: platformStatus, body: { code: platformCode(platformStatus), developerMessage: message } };
}

/** `["body","flow",0,"message","body"]` → `flow[0].message.body`, as Routee names a field; two findings on one field are joined */
export function propertiesOf(problems: FieldProblem[]): Record<string, string> {
  const properties: Record<string, string> = {};
  for (const { loc, msg } of problems) {
    const key = propertyKey(loc);
    properties[key] = properties[key] === undefined ? msg : `${properties[key]}; ${msg}`;
  }
  return properties;
}

function propertyKey(loc: (string | number)[]): string {
  // where the field came from (body, query, path, header) is not part of Routee's name for it
  const [source, ...path] = loc;
  if (path.length === 0) return String(source);
  return path.reduce<string>(
    (key, part) => (typeof part === 'number' ? `${key}[${part}]` : key === '' ? part : `${key}.${part}`),
    '',
  );
}
