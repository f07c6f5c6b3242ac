import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Channel, StepRole } from '@app/flow';
import { DataSource } from 'typeorm';
import type { StepRow } from './sql/rows';
import { run, statement } from './sql/statement';

/** Filters of the deliveries list; every one is optional, all given ones must hold. */
export interface DeliveryFilter {
  /** exact, case-insensitive */
  status?: string;
  /** partial, case-insensitive, on the label */
  tag?: string;
  /** partial, digits */
  phoneNumber?: string;
  /** exact (a UUID) */
  flowId?: string;
}

/** One step (a delivery) as the list shows it, with the trackingId of the step it failed over from. */
export interface DeliveryRecord {
  id: string;
  flowId: string;
  role: StepRole;
  channel: Channel;
  phoneNumber: string;
  label: string | null;
  trackingId: string | null;
  status: string;
  detailedStatus: string | null;
  errorMessage: string | null;
  price: number | null;
  latencyMs: number | null;
  country: string | null;
  operator: string | null;
  createdAt: Date;
  sentAt: Date | null;
  deliveredAt: Date | null;
  /** failover step: the primary's trackingId */
  failoverFromTrackingId: string | null;
}

export interface DeliveryPage {
  /** every match, not only this page, when `totalExact`; otherwise a lower bound (see TOTAL_COUNT_AHEAD) */
  total: number;
  totalExact: boolean;
  deliveries: DeliveryRecord[];
}

/**
 * How far past the end of the page matches are counted. An exact count of a
 * broad filter reads every match (0.05–0.5 s at 1M rows, whatever the index),
 * so counting stops at offset + limit + TOTAL_COUNT_AHEAD: `total` is exact up
 * to there, and beyond it is that bound with `totalExact` false ("at least").
 * The count's cost grows with the bound: for a partial tag match (ILIKE, ~0.7 µs
 * a row) at 28 % of 1M rows, counting 10,000 ahead took 28 ms (EXPLAIN ANALYZE);
 * with 1,000 ahead the whole request took 4–8 ms p50, 8–12 ms p95 (npm run bench).
 */
export const TOTAL_COUNT_AHEAD = 1_000;

/** the list's row: a step's columns (sql/rows.ts) and its primary's trackingId */
type DeliveryRow = Pick<
  StepRow,
  | 'id'
  | 'flow_id'
  | 'role'
  | 'channel'
  | 'phone_number'
  | 'label'
  | 'tracking_id'
  | 'status'
  | 'detailed_status'
  | 'error_message'
  | 'price'
  | 'latency_ms'
  | 'country'
  | 'operator'
  | 'created_at'
  | 'sent_at'
  | 'delivered_at'
> & { failover_from: string | null };

/**
 * Searches deliveries (steps) for GET /otp/failover. Reads only: the list
 * never asks Routee. The indexes behind each filter are in the migration
 * DeliveryListIndexes; the plans they give at 1M rows are in the README.
 */
@Injectable()
export class DeliveryStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Newest first (created_at, then id, both descending), `limit` from `offset`, and the number of matches (exact up to a bound). */
  async search(filter: DeliveryFilter, limit: number, offset: number): Promise<DeliveryPage> {
    const params: unknown[] = [];
    const where = whereClause(filter, params);
    // The page's ids are found first (an index-only scan of the ordering index when there
    // is no filter), then only those rows are read and joined to their primary step.
    // Unnamed (planned on every call): the best plan depends on the patterns (see DeliveryListIndexes).
    const page = statement<unknown[], DeliveryRow>(
      null,
      `
      SELECT s.id, s.flow_id, s.role, s.channel, s.phone_number, s.label, s.tracking_id, s.status,
             s.detailed_status, s.error_message, s.price, s.latency_ms, s.country, s.operator,
             s.created_at, s.sent_at, s.delivered_at, p.tracking_id AS failover_from
      FROM (SELECT s.id, s.created_at FROM steps s ${where}
            ORDER BY s.created_at DESC, s.id DESC
            LIMIT $${params.length + 1} OFFSET $${params.length + 2}) page
      JOIN steps s ON s.id = page.id
      -- the step a later step failed over from: the one before it (a Failover API flow has up to N)
      LEFT JOIN steps p ON p.flow_id = s.flow_id AND p.step_order = s.step_order - 1
      ORDER BY page.created_at DESC, page.id DESC`,
    );
    // The total is counted up to a bound: an exact count on a broad filter reads every match (see README).
    const bound = offset + limit + TOTAL_COUNT_AHEAD;
    const count = statement<unknown[], { total: string }>(
      null,
      `SELECT count(*)::bigint AS total FROM (SELECT 1 FROM steps s ${where} LIMIT $${params.length + 1}) matches`,
    );
    const [rows, counted] = await Promise.all([
      run(this.db, page, [...params, limit, offset]),
      run(this.db, count, [...params, bound + 1]),
    ]);
    const total = Number(counted[0].total);
    return { total: Math.min(total, bound), totalExact: total <= bound, deliveries: rows.map(toRecord) };
  }
}

function whereClause(filter: DeliveryFilter, params: unknown[]): string {
  const conditions: string[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  // lower(status) is what ix_steps_status_lower_created_at indexes
  if (filter.status !== undefined) conditions.push(`lower(s.status) = lower(${param(filter.status)})`);
  if (filter.tag !== undefined) conditions.push(`s.label ILIKE ${param(containsPattern(filter.tag))}`);
  if (filter.phoneNumber !== undefined)
    conditions.push(`s.phone_number LIKE ${param(containsPattern(filter.phoneNumber))}`);
  if (filter.flowId !== undefined) conditions.push(`s.flow_id = ${param(filter.flowId)}::uuid`);
  return conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
}

/** `%text%` with LIKE's own wildcards in `text` taken literally (backslash is LIKE's default escape) */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function toRecord(row: DeliveryRow): DeliveryRecord {
  return {
    id: row.id,
    flowId: row.flow_id,
    role: row.role,
    channel: row.channel,
    phoneNumber: row.phone_number,
    label: row.label,
    trackingId: row.tracking_id,
    status: row.status,
    detailedStatus: row.detailed_status,
    errorMessage: row.error_message,
    price: row.price,
    latencyMs: row.latency_ms,
    country: row.country,
    operator: row.operator,
    createdAt: row.created_at,
    sentAt: row.sent_at,
    deliveredAt: row.delivered_at,
    failoverFromTrackingId: row.failover_from,
  };
}
