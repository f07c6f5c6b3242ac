import { statement, type Statement } from './statement';

/**
 * The search of Failover API flows (POST /failover/tracking) as SQL: a WHERE
 * built from a fixed set of fragments, one per field and operator, every
 * search term a parameter (`$n`). The messages' values (to, from, type, label)
 * and the trackingId are read from failover_search, written once per flow
 * (migration FailoverSearchTable); the flow's status and terminationChannel,
 * which change, from flows. The fragments are written to match the indexes of
 * both (docs/failover-search.md has the plans at 1M flows); the statements are
 * unnamed: their best plan depends on the terms (a rare phone number is read
 * from its index, a common label by walking the newest flows), so they are
 * planned on every call.
 */

export const FAILOVER_SEARCH_FIELDS = [
  'to',
  'from',
  'type',
  'status',
  'label',
  'trackingId',
  'terminationChannel',
] as const;
export type FailoverSearchField = (typeof FAILOVER_SEARCH_FIELDS)[number];

export const FAILOVER_SEARCH_OPERATORS = ['is', 'is_not', 'contains', 'not_contains'] as const;
export type FailoverSearchOperator = (typeof FAILOVER_SEARCH_OPERATORS)[number];

/** one filter of the body, its field and operator already known to be valid; the term as the integrator sent it */
export interface FailoverSearchFilter {
  field: FailoverSearchField;
  operator: FailoverSearchOperator;
  term: string;
}

export interface FailoverSearchWhere {
  /** createdAt ≥ this (inclusive) */
  createdFrom?: Date;
  /** createdAt < this (exclusive) */
  createdBefore?: Date;
  /** all must hold */
  filters: readonly FailoverSearchFilter[];
}

/** a flow's statuses and a message's types as stored (flows.status; a definition's `type`) */
const FLOW_STATUSES = ['Queued', 'InProgress', 'Succeeded', 'Failed'] as const;
const MESSAGE_TYPES = ['Sms', 'Viber', 'Voice'] as const;

/** the filters on what changes with the flow, read from flows; every other one from failover_search */
const ON_FLOWS: ReadonlySet<FailoverSearchField> = new Set(['status', 'terminationChannel']);

/** The SQL of a search: the tables, the page's order and the conditions, its parameters in order ($1 …). */
export interface FailoverSearchSql {
  from: string;
  /** the flow's id and creation time, in the table that orders the page */
  id: string;
  createdAt: string;
  where: string;
  params: unknown[];
}

/**
 * The search's tables: failover_search alone (no filter, or only on the
 * messages' values: its own order index and GIN indexes, no flow read),
 * flows alone (only status and terminationChannel: flows' partial indexes), or
 * both joined by the flow's id, ordered by flows.
 */
export function failoverSearchWhere(search: FailoverSearchWhere): FailoverSearchSql {
  const params: unknown[] = [];
  const param = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  const onFlows = search.filters.some((f) => ON_FLOWS.has(f.field));
  const onTexts = !onFlows || search.filters.some((f) => !ON_FLOWS.has(f.field));
  const [from, id, createdAt] = !onFlows
    ? ['failover_search s', 's.flow_id', 's.created_at']
    : onTexts
      ? ['flows f JOIN failover_search s ON s.flow_id = f.id', 'f.id', 'f.created_at']
      : ['flows f', 'f.id', 'f.created_at'];
  // the literal kind is what flows' partial indexes' predicate matches (failover_search holds no other kind)
  const conditions = onFlows ? [`f.kind = 'failover'`] : [];
  if (search.createdFrom) conditions.push(`${createdAt} >= ${param(search.createdFrom)}::timestamptz`);
  if (search.createdBefore) conditions.push(`${createdAt} < ${param(search.createdBefore)}::timestamptz`);
  for (const filter of search.filters) conditions.push(`(${condition(filter, param)})`);
  return { from, id, createdAt, where: conditions.join('\n        AND ') || 'true', params };
}

/**
 * One filter. `is_not` is NOT `is` and `not_contains` NOT `contains`: a flow
 * matches `type is_not Voice` when none of its messages is Voice (and
 * `terminationChannel is_not Sms` when it did not end on Sms, not ended yet
 * included). Every positive condition is true or false, never null, so NOT
 * keeps exactly the other flows.
 */
function condition({ field, operator, term }: FailoverSearchFilter, param: (value: unknown) => string): string {
  const negated = operator === 'is_not' || operator === 'not_contains';
  const exact = operator === 'is' || operator === 'is_not';
  const positive = positiveCondition(field, exact, term, param);
  return negated ? `NOT ${positive}` : positive;
}

function positiveCondition(
  field: FailoverSearchField,
  exact: boolean,
  term: string,
  param: (value: unknown) => string,
): string {
  switch (field) {
    case 'to': {
      // stored as digits (E.164 without the +)
      const digits = term.replace(/^\+/, '');
      return exact
        ? `(s.to_numbers @> ${param(JSON.stringify([digits]))}::jsonb)`
        : `(s.to_text LIKE lower(${param(containsPattern(jsonInner(digits)))}))`;
    }
    case 'from':
    case 'label':
      // is: the whole JSON string `"term"` within the array's text; contains: the escaped term anywhere in a string
      return `(s.${field}_text LIKE lower(${param(containsPattern(exact ? JSON.stringify(term) : jsonInner(term)))}))`;
    case 'trackingId':
      if (exact) return UUID.test(term) ? `(s.flow_id = ${param(term)}::uuid)` : 'false';
      return `(s.flow_id::text LIKE lower(${param(containsPattern(term))}))`;
    case 'status': {
      // four stored values: the ones the term names, read from ix_flows_failover_status_created_at
      const statuses = FLOW_STATUSES.filter((s) => matches(s, term, exact));
      return statuses.length ? `(${oneOf('f.status', statuses, param)})` : 'false';
    }
    case 'type': {
      const types = MESSAGE_TYPES.filter((t) => matches(t, term, exact));
      return types.length ? `(${definesType(types, param)})` : 'false';
    }
    case 'terminationChannel': {
      const types = MESSAGE_TYPES.filter((t) => matches(t, term, exact));
      if (types.length === 0) return 'false';
      // written with the final status (migration TerminationChannel): read from ix_flows_failover_termination_created_at;
      // IS NOT NULL first: never null (NOT keeps the flows not ended) and the index's own predicate
      const channels = types.map((t) => t.toLowerCase());
      return `(f.termination_channel IS NOT NULL AND ${oneOf('f.termination_channel', channels, param)})`;
    }
  }
}

/**
 * `column` is one of `values`. One value is an equality, which a btree on
 * (column, created_at DESC, id DESC) reads in the page's order and stops at the
 * bound; `= ANY` of a one-element array it cannot (the planner walked the
 * order index and tested each flow instead).
 */
function oneOf(column: string, values: readonly string[], param: (value: unknown) => string): string {
  return values.length === 1 ? `${column} = ${param(values[0])}::text` : `${column} = ANY(${param(values)}::text[])`;
}

/** one of the definition's messages has one of these types (ix_failover_search_types; one containment a type) */
function definesType(types: readonly string[], param: (value: unknown) => string): string {
  return types.map((t) => `s.types @> ${param(JSON.stringify([t]))}::jsonb`).join(' OR ');
}

/** a stored value against a term, case-insensitive: the same value, or one holding the term */
function matches(value: string, term: string, exact: boolean): boolean {
  const v = value.toLowerCase();
  const t = term.toLowerCase();
  return exact ? v === t : v.includes(t);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The term as it reads inside a JSON string (Postgres's jsonb output escapes `"` and `\` as JSON.stringify
 * does; control characters, which it writes differently, are refused in terms before this).
 */
function jsonInner(term: string): string {
  return JSON.stringify(term).slice(1, -1);
}

/** `%text%` with LIKE's own wildcards in `text` taken literally (backslash is LIKE's default escape) */
function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * The page and the bounded count in one walk: the matches, newest first
 * (created_at, then id: stable when two flows share a timestamp), taken up to
 * `$n+1` (the store's bound; see FailoverSearchStore); one row answers how
 * many were taken and the ids of the page, `$n+2` (limit) of them from `$n+3`
 * (offset). The count walks in the page's order, so it gets the page's plan:
 * the newest Failover API flows from ix_failover_search_created_at (or a
 * selective index, then a sort), stopped at the bound, the page's rows read
 * once. A count of its own, unordered, was planned as a Seq Scan stopped at
 * the bound: it reads the heap in physical order, from block 0 or wherever
 * the table's last scan left off (synchronize_seqscans), so its cost depended
 * on what lay there; behind the 625,000 Failover OTP flows of the bench's
 * list phase, from block 0, `from is` took 1.3 s to find 221 matches
 * (docs/failover-search.md).
 */
export function failoverSearchMatches(sql: FailoverSearchSql): Statement<unknown[], { total: string; ids: string[] }> {
  const n = sql.params.length;
  return statement(
    null,
    `WITH matches AS (
      SELECT ${sql.id} AS id, ${sql.createdAt} AS created_at FROM ${sql.from}
       WHERE ${sql.where}
       ORDER BY ${sql.createdAt} DESC, ${sql.id} DESC
       LIMIT $${n + 1})
    SELECT (SELECT count(*) FROM matches)::bigint AS total,
           ARRAY(SELECT id FROM matches ORDER BY created_at DESC, id DESC LIMIT $${n + 2} OFFSET $${n + 3})::text[] AS ids`,
  );
}
