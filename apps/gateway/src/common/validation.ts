import { applyDecorators, type ValidationError, ValidationPipe } from '@nestjs/common';
import { ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';
import { IsOptional, ValidateIf } from 'class-validator';
import { GatewayError, type FieldProblem } from './gateway-error';

/** One global pipe: strip nothing silently, refuse unknown fields, 422 with a per-field list. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    validationError: { target: false, value: false },
    stopAtFirstError: true,
    exceptionFactory: (errors) => new GatewayError('validation', 'validation failed', flattenErrors(errors, ['body'])),
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
