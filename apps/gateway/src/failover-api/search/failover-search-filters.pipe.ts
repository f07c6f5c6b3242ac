import { Injectable, type PipeTransform } from '@nestjs/common';
import {
  FAILOVER_SEARCH_FIELDS,
  FAILOVER_SEARCH_OPERATORS,
  type FailoverSearchField,
  type FailoverSearchFilter,
  type FailoverSearchOperator,
} from '@app/persistence';
import { PlatformError } from '../platform-error';
import { MAX_SEARCH_TERM } from './dto/failover-search-filter.dto';

const FILTER_KEYS = new Set(['fieldName', 'searchOperator', 'searchTerm']);
/**
 * C0 and C1 control characters (Postgres refuses NUL; a term is compared with JSON text, where they are
 * escaped) and lone surrogates (no UTF-8 for them)
 */
const UNREADABLE = /[\p{Cc}\p{Cs}]/u;

/**
 * The body of POST /failover/tracking: a JSON array (possibly empty; no body at all reads as `[]`) of
 * `{fieldName, searchOperator, searchTerm}`. Every bad part is named the way Routee names a field,
 * `[0].fieldName`, in one 400 (PlatformError). Field names and operators are matched case-insensitively.
 */
@Injectable()
export class FailoverSearchFiltersPipe implements PipeTransform<unknown, FailoverSearchFilter[]> {
  transform(body: unknown): FailoverSearchFilter[] {
    if (body === undefined || body === null || body === '') return [];
    if (!Array.isArray(body)) {
      throw PlatformError.badRequest({ body: 'must be a JSON array of {fieldName, searchOperator, searchTerm}' });
    }
    const problems: Record<string, string> = {};
    const filters = body.map((item: unknown, i) => readFilter(item, `[${i}]`, problems));
    if (Object.keys(problems).length > 0) throw PlatformError.badRequest(problems);
    return filters as FailoverSearchFilter[];
  }
}

function readFilter(item: unknown, at: string, problems: Record<string, string>): FailoverSearchFilter | null {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    problems[at] = 'must be an object {fieldName, searchOperator, searchTerm}';
    return null;
  }
  const fields = item as Record<string, unknown>;
  for (const key of Object.keys(fields)) if (!FILTER_KEYS.has(key)) problems[`${at}.${key}`] = 'unknown property';
  const field = oneOf(FAILOVER_SEARCH_FIELDS, fields.fieldName);
  if (field === null) problems[`${at}.fieldName`] = `must be one of ${FAILOVER_SEARCH_FIELDS.join(', ')}`;
  const operator = oneOf(FAILOVER_SEARCH_OPERATORS, fields.searchOperator);
  if (operator === null) problems[`${at}.searchOperator`] = `must be one of ${FAILOVER_SEARCH_OPERATORS.join(', ')}`;
  const term = fields.searchTerm;
  const termProblem =
    typeof term !== 'string'
      ? 'must be a string'
      : term.length === 0 || term.length > MAX_SEARCH_TERM
        ? `must be 1 to ${MAX_SEARCH_TERM} characters`
        : UNREADABLE.test(term)
          ? 'must not contain control characters'
          : null;
  if (termProblem !== null) problems[`${at}.searchTerm`] = termProblem;
  if (field === null || operator === null || termProblem !== null) return null;
  return { field, operator, term: term as string };
}

/** the member of `allowed` that `value` names, case-insensitively */
function oneOf<T extends FailoverSearchField | FailoverSearchOperator>(
  allowed: readonly T[],
  value: unknown,
): T | null {
  if (typeof value !== 'string') return null;
  return allowed.find((a) => a.toLowerCase() === value.toLowerCase()) ?? null;
}
