import { applyDecorators, type ArgumentMetadata, type ValidationError, ValidationPipe } from '@nestjs/common';
import { ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';
import { IsOptional, ValidateIf } from 'class-validator';
import { GatewayError, type FieldProblem } from './gateway-error';

/** class-validator's findings for one argument, before the pipe knows which argument it was */
class InvalidArgument extends Error {
  constructor(readonly errors: ValidationError[]) {
    super('validation failed');
  }
}

/**
 * The global pipe: 422 with a per-field list whose `loc` starts with where the
 * field came from, as FastAPI (Routee's hosted service) does: `["body", ...]`,
 * `["query", "limit"]`, `["path", ...]`.
 */
class GatewayValidationPipe extends ValidationPipe {
  /**
   * Nest's look for Buffers and typed arrays among the nested objects (a
   * socket.io attachment) finds none here: bodies come from Fastify's JSON and
   * text parsers (no other is registered), queries and paths are strings. It
   * walked every nested DTO of every request (~2 % of a send's CPU, bench).
   */
  protected override findNestedBinaryValues(): ValidationError[] {
    return [];
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    try {
      return await super.transform(value, metadata);
    } catch (err) {
      if (!(err instanceof InvalidArgument)) throw err;
      throw new GatewayError('validation', 'validation failed', flattenErrors(err.errors, [locRoot(metadata)]));
    }
  }
}

function locRoot(metadata: ArgumentMetadata): string {
  if (metadata.type === 'query') return 'query';
  if (metadata.type === 'param') return 'path';
  return 'body';
}

/** One global pipe: strip nothing silently, refuse unknown fields, 422 with a per-field list. */
export function createValidationPipe(): ValidationPipe {
  return new GatewayValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    validationError: { target: false, value: false },
    stopAtFirstError: true,
    exceptionFactory: (errors) => new InvalidArgument(errors),
  });
}

export function flattenErrors(errors: ValidationError[], prefix: (string | number)[]): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const error of errors) {
    const loc = [...prefix, /^\d+$/.test(error.property) ? Number(error.property) : error.property];
    for (const [type, msg] of Object.entries(error.constraints ?? {})) {
      problems.push({ loc, msg, type: type === 'whitelistValidation' ? 'extra_forbidden' : type });
    }
    if (error.children?.length) problems.push(...flattenErrors(error.children, loc));
  }
  return problems;
}

/** Swagger and "may be absent" in one decorator, so the docs never drift from validation. */
export function OptionalProperty(options: ApiPropertyOptions): PropertyDecorator {
  return applyDecorators(ApiPropertyOptional(options) as PropertyDecorator, IsOptional());
}

/** validate the field only when it is present (null counts as present, and is refused by the field's type check) */
export function WhenPresent(): PropertyDecorator {
  return ValidateIf((_obj, value) => value !== undefined);
}
