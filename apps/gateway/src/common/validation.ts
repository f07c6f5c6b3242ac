import { applyDecorators, type ArgumentMetadata, type ValidationError, ValidationPipe } from '@nestjs/common';
import { ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';
import { getMetadataStorage, IsOptional, type MetadataStorage, ValidateIf } from 'class-validator';
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
  memoizeRuleLookup(getMetadataStorage());
  return new GatewayValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    validationError: { target: false, value: false },
    stopAtFirstError: true,
    exceptionFactory: (errors) => new InvalidArgument(errors),
  });
}

const MEMOIZED = Symbol('gateway.memoizedRuleLookup');
type RuleLookup = MetadataStorage['getTargetValidationMetadatas'];
type Rules = ReturnType<RuleLookup>;
/** the class whose rules are looked up, as class-validator types it */
type Target = Parameters<RuleLookup>[0];

/**
 * class-validator looks up a class's rules for every object it validates, and
 * each lookup walks the rules of every decorated class in the app for
 * inherited ones (MetadataStorage.getTargetValidationMetadatas: a send's body
 * is six nested objects). The rules change only when a decorated class is
 * defined, so the lookups are kept, per option set and class, until a rule is
 * added, and so is each answer's grouping by field. Lookups with validation
 * groups (none here) are not kept.
 */
export function memoizeRuleLookup(storage: MetadataStorage): void {
  const marked = storage as MetadataStorage & { [MEMOIZED]?: true };
  if (marked[MEMOIZED]) return;
  marked[MEMOIZED] = true;
  const lookup: RuleLookup = storage.getTargetValidationMetadatas.bind(storage);
  const add = storage.addValidationMetadata.bind(storage);
  let kept = new Map<string, Map<Target, Rules>>();
  storage.addValidationMetadata = (metadata) => {
    kept = new Map();
    add(metadata);
  };
  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
    if (groups !== undefined && groups.length > 0) return lookup(target, schema, always, strictGroups, groups);
    const options = `${schema}|${always}|${strictGroups}`;
    let byTarget = kept.get(options);
    if (!byTarget) kept.set(options, (byTarget = new Map()));
    let rules = byTarget.get(target);
    if (!rules) byTarget.set(target, (rules = lookup(target, schema, always, strictGroups, groups)));
    return rules;
  };
  // the rules by field, which the validator asks for next with the same array, and only reads
  const group = storage.groupByPropertyName.bind(storage);
  const grouped = new WeakMap<Rules, ReturnType<MetadataStorage['groupByPropertyName']>>();
  storage.groupByPropertyName = (rules) => {
    let byField = grouped.get(rules);
    if (!byField) grouped.set(rules, (byField = group(rules)));
    return byField;
  };
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
