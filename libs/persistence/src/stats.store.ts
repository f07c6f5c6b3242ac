import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { run } from './sql/statement';
import {
  CHANGED_HOURS,
  DELETE_STATS_DAYS,
  DELETE_STATS_HOURS,
  NEXT_FLOW_HOUR,
  READ_ROLLUP,
  ROLL_UP_DAYS,
  ROLL_UP_HOURS,
  SAVE_ROLLUP,
  TRY_LOCK_ROLLUP,
  STATS_BY,
  type StatsGroupBy,
  type StatsRow,
} from './sql/stats.statements';

export type { StatsGroupBy } from './sql/stats.statements';

/** The counted figures of a set of flows (a group, or the whole window); ratios are the caller's. */
export interface StatsFigures {
  flows: number;
  messages: { viber: number; sms: number };
  delivered: number;
  verified: number;
  /** flows whose failover step was sent */
  failovers: number;
  smsSaved: number;
  /** seconds; null when no flow has the figure */
  medianTimeToDeliverSec: number | null;
  medianTimeToVerifySec: number | null;
  cost: number;
}

export interface StatsGroup extends StatsFigures {
  key: string;
}

export interface StatsResult {
  groups: StatsGroup[];
  total: StatsFigures;
}

const NO_FLOWS: StatsFigures = {
  flows: 0,
  messages: { viber: 0, sms: 0 },
  delivered: 0,
  verified: 0,
  failovers: 0,
  smsSaved: 0,
  medianTimeToDeliverSec: null,
  medianTimeToVerifySec: null,
  cost: 0,
};

export interface RollUpResult {
  /** false when another process was rolling up */
  ran: boolean;
  /** hours (re)computed because a flow of theirs was written since the last run */
  changed: number;
  /** hours written from where the last run stopped on (the open hour, up to MARGIN_MS ago, included) */
  added: number;
  /** every closed hour is rolled up */
  caughtUp: boolean;
}

const HOUR_MS = 3_600_000;
/**
 * A run rolls up the flows created up to this long ago (the open hour's row is then partial, and written
 * again whole by the next run), and looks for flows written since this long before the previous run
 * began: longer than any transaction that writes a flow (a flow written by a transaction that began
 * before the run but committed after it read is not missed; those are single statements of milliseconds).
 * Everything newer is read flow by flow on each request: at five minutes, a burst of ~40,000 flows just
 * written kept the 7-day window at 483–608 ms p95 (bench/README.md).
 */
const MARGIN_MS = 30_000;
/** how far back a run looks for rolled hours whose flows changed (a report or a check that late is not counted) */
const RECHECK_MS = 24 * HOUR_MS;
/** hours rolled up per transaction; a backlog (the first run after the upgrade) takes several */
const HOURS_PER_RUN = 24;
/** any two processes agree on it: one rollup at a time (tests hold it to keep the rollup out) */
export const ROLLUP_LOCK = 7_301_157;

const DAY_MS = 24 * HOUR_MS;
const floorTo = (t: number, unit: number) => Math.floor(t / unit) * unit;
const ceilTo = (t: number, unit: number) => Math.ceil(t / unit) * unit;
const floorHour = (t: number) => floorTo(t, HOUR_MS);

/** hours or days (their starts, ascending, `unit` long) as [from, to) ranges of consecutive ones */
function runsOf(starts: Date[], unit: number): [Date, Date][] {
  const runs: [Date, Date][] = [];
  for (const start of starts) {
    const end = new Date(start.getTime() + unit);
    const lastRun = runs[runs.length - 1];
    if (lastRun && lastRun[1].getTime() === start.getTime()) lastRun[1] = end;
    else runs.push([start, end]);
  }
  return runs;
}
/** the starts of the hours that [from, to) touches (from on an hour) */
const hourStarts = (from: number, to: number) =>
  Array.from({ length: Math.max(0, Math.ceil((to - from) / HOUR_MS)) }, (_, i) => from + i * HOUR_MS);

/**
 * GET /otp/stats: the figures of the Failover OTP flows created in [from, to), in one statement: what the
 * rollup holds of the window from stats_days and stats_hours, the rest from the flows (sql/stats.statements.ts).
 */
@Injectable()
export class StatsStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async stats(from: Date, to: Date, groupBy: StatsGroupBy): Promise<StatsResult> {
    // every flow created before rolledThrough is in the rollup (its hour's row is partial in the open hour)
    const rolledThrough = (await run(this.db, READ_ROLLUP, []))[0]?.rolled_through.getTime() ?? -Infinity;
    const end = to.getTime();
    // [first, resume): read from the rollup, whole days from stats_days and hours around them from
    // stats_hours; [from, first) and [resume, to) from the flows
    const first = Math.min(ceilTo(from.getTime(), HOUR_MS), end);
    const resume = Math.max(first, end <= rolledThrough ? floorTo(end, HOUR_MS) : rolledThrough);
    const hoursEnd = ceilTo(resume, HOUR_MS);
    const daysFrom = ceilTo(first, DAY_MS);
    const daysTo = floorTo(resume, DAY_MS);
    const [c, d] = daysFrom < daysTo ? [daysFrom, daysTo] : [first, first];
    const at = (t: number) => new Date(t);
    const rows = await run(this.db, STATS_BY[groupBy], [
      from,
      at(first),
      at(first),
      at(c),
      at(c),
      at(d),
      at(d),
      at(hoursEnd),
      at(resume),
      to,
    ]);
    const total = rows.find((r) => r.is_total);
    return {
      groups: rows.filter((r) => !r.is_total).map((r) => ({ key: r.key ?? 'unknown', ...figuresOf(r) })),
      // the total row is there even over no flows; kept for safety
      total: total ? figuresOf(total) : NO_FLOWS,
    };
  }

  /**
   * One run of the rollup (the worker's, every minute; any process may call it, one runs at a time): the
   * rolled hours with a flow written since the last run are computed again, then the hours from where the
   * last run stopped up to MARGIN_MS ago, HOURS_PER_RUN at a time, each batch in its own transaction.
   * Times are the database's.
   */
  async rollUp(): Promise<RollUpResult> {
    const result: RollUpResult = { ran: true, changed: 0, added: 0, caughtUp: false };
    for (let batch = 0; !result.caughtUp; batch++) {
      const done = await this.db.transaction(async (tx) => {
        const [{ locked, now }] = await run(tx, TRY_LOCK_ROLLUP, [ROLLUP_LOCK]);
        if (!locked) return null;
        const [state] = await run(tx, READ_ROLLUP, []);
        const closed = now.getTime() - MARGIN_MS;
        // from the hour where the last run stopped (it is written again, whole), or the first flow's hour;
        // the empty hours up to the next flow are skipped
        const restart = state ? floorHour(state.rolled_through.getTime()) : null;
        const next = (await run(tx, NEXT_FLOW_HOUR, [restart === null ? '-infinity' : new Date(restart)]))[0].hour;
        const from = Math.min(next?.getTime() ?? floorHour(closed), floorHour(closed));
        const rollTo = Math.min(from + HOURS_PER_RUN * HOUR_MS, closed);
        const changed =
          state && batch === 0
            ? (
                await run(tx, CHANGED_HOURS, [
                  new Date(now.getTime() - RECHECK_MS),
                  state.rolled_through,
                  state.last_run_at,
                ])
              )
                .map((r) => r.hour)
                .filter((h) => h.getTime() < from)
            : [];
        const ranges: [Date, Date][] = [...runsOf(changed, HOUR_MS), [new Date(from), new Date(rollTo)]];
        for (const [rangeFrom, rangeTo] of ranges) {
          await run(tx, DELETE_STATS_HOURS, [rangeFrom, new Date(ceilTo(rangeTo.getTime(), HOUR_MS))]);
          await run(tx, ROLL_UP_HOURS, [rangeFrom, rangeTo]);
        }
        // their days summed again from their hours (a day is read only once all its hours are rolled up)
        const written = hourStarts(from, rollTo);
        const days = [...changed.map((h) => h.getTime()), ...written].map((t) => floorTo(t, DAY_MS));
        for (const [rangeFrom, rangeTo] of runsOf(
          [...new Set(days)].map((t) => new Date(t)),
          DAY_MS,
        )) {
          await run(tx, DELETE_STATS_DAYS, [rangeFrom, rangeTo]);
          await run(tx, ROLL_UP_DAYS, [rangeFrom, rangeTo]);
        }
        await run(tx, SAVE_ROLLUP, [new Date(rollTo), new Date(closed)]);
        return { changed: changed.length, added: written.length, caughtUp: rollTo >= closed };
      });
      if (!done) return { ...result, ran: batch > 0 };
      result.changed += done.changed;
      result.added += done.added;
      result.caughtUp = done.caughtUp;
    }
    return result;
  }
}

function figuresOf(r: StatsRow): StatsFigures {
  return {
    flows: r.flows,
    messages: { viber: r.viber_messages, sms: r.sms_messages },
    delivered: r.delivered,
    verified: r.verified,
    failovers: r.failovers,
    smsSaved: r.sms_saved,
    medianTimeToDeliverSec: r.median_time_to_deliver,
    medianTimeToVerifySec: r.median_time_to_verify,
    cost: r.cost,
  };
}
