import { statement } from './statement';

/** the pumping guard's blocks (table pumping_blocks, migration PumpingGuard) and the figures behind them */

export interface PumpingBlockRow {
  id: string;
  prefix: string;
  blocked_at: Date;
  until: Date;
  flows: number;
  approved: number;
  conversion: number;
  lifted_at: Date | null;
}

/** the block in force on the prefix (its columns), or all NULL when none */
type ActiveBlockColumns =
  | {
      block_id: string;
      block_blocked_at: Date;
      block_until: Date;
      block_flows: number;
      block_approved: number;
      block_conversion: number;
    }
  | {
      block_id: null;
      block_blocked_at: null;
      block_until: null;
      block_flows: null;
      block_approved: null;
      block_conversion: null;
    };

export type PumpingFiguresRow = ActiveBlockColumns & {
  prefix: string;
  /** the sample: the newest settled Failover OTP flows with a code, at most PUMPING_MIN_FLOWS */
  flows: number;
  approved: number;
};

const BLOCK_COLUMNS = 'id, prefix, blocked_at, until, flows, approved, conversion, lifted_at';

/**
 * `prefix` the prefix (an expression of $1), $2 PUMPING_MIN_FLOWS, $3 PUMPING_SETTLE_SEC. The prefix's
 * newest block (`latest`), and the sample: the newest $2 Failover OTP flows
 * carrying a code whose primary step went to the prefix, sent within the
 * last hour but at least $3 s ago (younger ones have not had the time to be
 * verified), and after the latest block ended (lifted or expired: a block's
 * end starts the figures afresh). An index range scan of at most $2 entries
 * of ix_steps_primary_pumping_prefix_created_at, one flows probe each; none
 * at all while a block is in force.
 */
const figuresCtes = (prefix: string) => `
  latest AS (
    SELECT ${BLOCK_COLUMNS} FROM pumping_blocks WHERE prefix = ${prefix} ORDER BY blocked_at DESC LIMIT 1),
  active AS (SELECT * FROM latest WHERE lifted_at IS NULL AND until > now()),
  sample AS (
    SELECT f.verification_status
      FROM steps s JOIN flows f ON f.id = s.flow_id
     WHERE s.role = 'primary' AND pumping_prefix(s.phone_number) = ${prefix}
       AND s.created_at > greatest(now() - interval '1 hour', (SELECT coalesce(lifted_at, until) FROM latest))
       AND s.created_at <= now() - make_interval(secs => $3)
       AND f.kind = 'otp' AND f.verification_status IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM active)
     ORDER BY s.created_at DESC
     LIMIT $2),
  figures AS (
    SELECT count(*)::int AS flows, (count(*) FILTER (WHERE verification_status = 'approved'))::int AS approved
      FROM sample)`;

/**
 * On each send, $1 the primary step's number: its prefix, the block in force
 * on it or the figures that may call for one. One round trip.
 */
export const FIGURES = statement<[phone: string, minFlows: number, settleSec: number], PumpingFiguresRow>(
  'pumping_figures',
  `WITH ${figuresCtes('pumping_prefix($1::text)')}
   SELECT pumping_prefix($1::text) AS prefix,
          a.id AS block_id, a.blocked_at AS block_blocked_at, a.until AS block_until,
          a.flows AS block_flows, a.approved AS block_approved, a.conversion AS block_conversion,
          fg.flows, fg.approved
     FROM figures fg LEFT JOIN active a ON true`,
);

/**
 * Serialises the blocking of one prefix (rare: once a block), so that
 * replicas finding low figures at once record one block, logged once.
 */
export const LOCK_PREFIX = statement<[prefix: string], unknown>(
  'pumping_lock_prefix',
  `SELECT pg_advisory_xact_lock(72834640, hashtext($1))`,
);

/**
 * $1 prefix, $2 PUMPING_MIN_FLOWS, $3 PUMPING_SETTLE_SEC, $4
 * PUMPING_MIN_CONVERSION, $5 PUMPING_BLOCK_SEC. Under LOCK_PREFIX, with the
 * figures taken again (a lift or another replica's block may have committed
 * since they were first read): the new block, or no row.
 */
export const BLOCK_IF_LOW = statement<
  [prefix: string, minFlows: number, settleSec: number, minConversion: number, blockSec: number],
  PumpingBlockRow
>(
  'pumping_block_if_low',
  `WITH ${figuresCtes('$1::text')}
   INSERT INTO pumping_blocks (prefix, until, flows, approved, conversion)
   SELECT $1, now() + make_interval(secs => $5), flows, approved, approved::float8 / flows
     FROM figures
    WHERE flows >= $2 AND approved::float8 / flows < $4 AND NOT EXISTS (SELECT 1 FROM active)
   RETURNING ${BLOCK_COLUMNS}`,
);

/** the block in force on a prefix */
export const ACTIVE_BLOCK = statement<[prefix: string], PumpingBlockRow>(
  'pumping_active_block',
  `SELECT ${BLOCK_COLUMNS} FROM pumping_blocks
    WHERE prefix = $1 AND lifted_at IS NULL AND until > now()
    ORDER BY blocked_at DESC LIMIT 1`,
);

/** the blocks in force, the latest to end first (the CLI) */
export const ACTIVE_BLOCKS = statement<[], PumpingBlockRow>(
  'pumping_active_blocks',
  `SELECT ${BLOCK_COLUMNS} FROM pumping_blocks WHERE lifted_at IS NULL AND until > now() ORDER BY until DESC`,
);

/** every block, ended ones too, newest first (the CLI's `blocks --all`) */
export const RECENT_BLOCKS = statement<[limit: number], PumpingBlockRow>(
  'pumping_recent_blocks',
  `SELECT ${BLOCK_COLUMNS} FROM pumping_blocks ORDER BY blocked_at DESC, id DESC LIMIT $1`,
);

/** an operator lifts the block in force on a prefix: sends go through at once */
export const LIFT_BLOCK = statement<[prefix: string], PumpingBlockRow>(
  'pumping_lift_block',
  `UPDATE pumping_blocks SET lifted_at = now()
    WHERE prefix = $1 AND lifted_at IS NULL AND until > now()
    RETURNING ${BLOCK_COLUMNS}`,
);
