import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { FastifyReply } from 'fastify';

export type RouteeModule = 'generic' | 'sms' | 'viber' | 'voice';

/**
 * An error answered the way Routee answers: `{code, developerMessage, properties?}` where
 * code = HTTP status (3 digits) + module (3) + error (3) (https://docs.routee.net/docs/error-codes)
 * and `properties` names each refused field. Modules used here: 000 generic, 001 account, 005 sms, 013 voice, 019 viber.
 */
export class RouteeApiError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: string,
    readonly developerMessage: string,
    readonly properties?: Record<string, string>,
  ) {
    super(developerMessage);
  }

  static unauthorized(): RouteeApiError {
    return new RouteeApiError(401, '401000000', 'Invalid or expired access token');
  }

  static badCredentials(): RouteeApiError {
    return new RouteeApiError(401, '401000001', 'Bad credentials');
  }

  static insufficientBalance(): RouteeApiError {
    return new RouteeApiError(400, '400001009', 'Insufficient balance');
  }

  static validation(module: RouteeModule, message: string, properties?: Record<string, string>): RouteeApiError {
    const code = { generic: '400000000', sms: '400005000', viber: '400019000', voice: '400013000' }[module];
    return new RouteeApiError(400, code, message, properties);
  }

  /** GET /sms/tracking/single/{id} (https://docs.routee.net/reference/smstrackingsingle) */
  static smsTrackingNotFound(): RouteeApiError {
    return new RouteeApiError(404, '404005000', 'Tracking not found.');
  }

  /** GET /viber/tracking/{id} (https://docs.routee.net/reference/retrieve-single-viber-tracking) */
  static viberTrackingNotFound(): RouteeApiError {
    return new RouteeApiError(404, '404019006', 'viberTracking was not found.');
  }

  /**
   * GET /voice/tracking/conversation/{id}: retrieve-conversation-dial-tracking lists no
   * error codes, so this is the error-codes page's rule: 404 + module 013 (voice) + 000.
   */
  static voiceTrackingNotFound(): RouteeApiError {
    return new RouteeApiError(404, '404013000', 'Conversation tracking not found.');
  }

  static serviceUnavailable(): RouteeApiError {
    return new RouteeApiError(503, '503000000', 'Service temporarily unavailable, try again later');
  }
}

/** The one place errors become HTTP answers: always Routee's error body. */
@Catch()
export class RouteeErrorFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { status, body } = toRouteeError(exception);
    void reply.status(status).header('content-type', 'application/json').send(body);
  }
}

function toRouteeError(exception: unknown): {
  status: number;
  body: { code: string; developerMessage: string; properties?: Record<string, string> };
} {
  if (exception instanceof RouteeApiError) {
    const { code, developerMessage, properties } = exception;
    return { status: exception.httpStatus, body: { code, developerMessage, ...(properties && { properties }) } };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    return { status, body: { code: `${status}000000`, developerMessage: exception.message } };
  }
  const status = (exception as { statusCode?: unknown })?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // Fastify's own errors (malformed JSON, body too large)
    return { status, body: { code: `${status}000000`, developerMessage: (exception as Error).message } };
  }
  return { status: 500, body: { code: '500000000', developerMessage: 'Internal server error' } };
}
