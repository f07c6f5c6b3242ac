import { applyDecorators, HttpStatus, type Type } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiPropertyOptional, ApiResponse, getSchemaPath } from '@nestjs/swagger';

/**
 * The error bodies ApiExceptionFilter writes, as OpenAPI schemas, and the decorators that put them on a route,
 * so a client generated from /docs-json can type an error. Each surface speaks its own Routee dialect (CONTRACT
 * section 10): `/otp/*` and the rest the failover-otp `{detail}` body, `/failover*` Routee's platform body.
 */

/** failover-otp: `{"detail":"tracking not found"}` */
export class ErrorDetailDto {
  @ApiProperty({ description: 'What went wrong', example: 'tracking not found' })
  detail: string;
}

/** one finding of a validation, as failover-otp (FastAPI) writes it */
export class ValidationProblemDto {
  @ApiProperty({
    description: 'Where the bad value is: its source (body, query, path, header), then the path into it',
    type: 'array',
    items: { oneOf: [{ type: 'string' }, { type: 'integer' }] },
    example: ['body', 'flow', 0, 'pin'],
  })
  loc: (string | number)[];

  @ApiProperty({ description: 'What is wrong with it', example: 'pin must be 4-10 characters' })
  msg: string;

  @ApiProperty({ description: 'The kind of problem', example: 'value_error' })
  type: string;
}

/** failover-otp's 422: `{"detail":[{loc, msg, type}]}` */
export class ValidationErrorDto {
  @ApiProperty({
    description: 'One entry per bad field',
    type: [ValidationProblemDto],
    example: [{ loc: ['body', 'flow', 0, 'pin'], msg: 'pin must be 4-10 characters', type: 'value_error' }],
  })
  detail: ValidationProblemDto[];
}

/** Routee's platform error on `/failover*`: `{"code":"400000000","developerMessage":"…","properties":{…}}` */
export class PlatformErrorDto {
  @ApiProperty({
    description: 'Routee error code: the HTTP status followed by six zeros',
    example: '400000000',
  })
  code: string;

  @ApiProperty({ description: 'What went wrong', example: 'Validation failed' })
  developerMessage: string;

  @ApiPropertyOptional({
    description: 'On a 400, one entry per bad field, keyed as Routee names it (`flow[1].to`, `dateStart`)',
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { 'flow[1].to': 'must be an E.164 number' },
  })
  properties?: Record<string, string>;
}

interface ErrorExample {
  /** the example's key and summary */
  summary: string;
  value: unknown;
}

/** `Retry-After` on a 429: seconds until a retry can succeed */
const RETRY_AFTER = {
  'Retry-After': {
    description: 'Seconds until a retry can succeed (a whole number, at least 1)',
    schema: { type: 'integer', minimum: 1, example: 30 },
  },
};

function errorResponse(
  model: Type<unknown>,
  status: number,
  description: string,
  examples: ErrorExample[],
): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(model),
    ApiResponse({
      status,
      description,
      ...(status === HttpStatus.TOO_MANY_REQUESTS && { headers: RETRY_AFTER }),
      content: {
        'application/json': {
          schema: { $ref: getSchemaPath(model) },
          examples: Object.fromEntries(examples.map((e) => [e.summary, e])),
        },
      },
    }),
  ) as MethodDecorator & ClassDecorator;
}

/** a failover-otp error `{"detail": "…"}` with its status and example messages */
export function ApiDetailError(status: number, description: string, ...messages: string[]) {
  return errorResponse(
    ErrorDetailDto,
    status,
    description,
    messages.map((detail) => ({ summary: detail, value: { detail } })),
  );
}

/** failover-otp's 422 `{"detail": [{loc, msg, type}]}`, with one example finding */
export function ApiValidationError(
  description: string,
  example: { loc: (string | number)[]; msg: string; type?: string },
) {
  return errorResponse(ValidationErrorDto, HttpStatus.UNPROCESSABLE_ENTITY, description, [
    { summary: example.msg, value: { detail: [{ type: 'value_error', ...example }] } },
  ]);
}

export const KEY_RATE_LIMITED = 'too many requests for this API key: at most 600 a minute';
export const DATABASE_UNAVAILABLE = 'database unavailable, retry shortly';

/**
 * What every Bearer route can answer before its handler runs: 403, 401, the key's 429
 * (KEY_RATE_LIMIT_PER_MIN) and a 503 while Postgres is down; each surface writes them in its own body.
 */
const BEARER_ERRORS: readonly [status: number, description: string, message: string][] = [
  [HttpStatus.FORBIDDEN, 'No bearer credentials', 'Missing Bearer credentials'],
  [HttpStatus.UNAUTHORIZED, 'Unknown or revoked key', 'Invalid or expired Bearer token'],
  [HttpStatus.TOO_MANY_REQUESTS, 'Too many requests for this key (KEY_RATE_LIMIT_PER_MIN)', KEY_RATE_LIMITED],
  [HttpStatus.SERVICE_UNAVAILABLE, 'Postgres is unavailable: retry shortly', DATABASE_UNAVAILABLE],
];

/** BEARER_ERRORS in failover-otp's `{detail}` body. A route's own 429 (set on the method) replaces the class's. */
export function ApiDetailBearerErrors() {
  return applyDecorators(
    ...BEARER_ERRORS.map(([status, description, message]) => ApiDetailError(status, description, message)),
  );
}

/** Routee's platform error with its status and example messages (and properties, on a 400) */
export function ApiPlatformError(
  status: number,
  description: string,
  developerMessage: string,
  properties?: Record<string, string>,
) {
  return errorResponse(PlatformErrorDto, status, description, [
    {
      summary: developerMessage,
      value: { code: `${status}000000`, developerMessage, ...(properties && { properties }) },
    },
  ]);
}

/** BEARER_ERRORS for the Failover API, in Routee's platform body */
export function ApiPlatformBearerErrors() {
  return applyDecorators(
    ...BEARER_ERRORS.map(([status, description, message]) => ApiPlatformError(status, description, message)),
  );
}
