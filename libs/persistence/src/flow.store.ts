import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { FlowEntity } from './entities/flow.entity';
import { StepEntity } from './entities/step.entity';
import { preparedQuery } from './prepared-query';
import { PHONE_RATE_LIMIT, PhoneRateLimitedError, type PhoneRateLimit } from './phone-rate-limit';

/** the text forms Postgres reads as a uuid that matter here: 8-4-4-4-12 hex digits, any case */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// the report's rules are the flow's (pure, in @app/flow); re-exported while the engine imports them from here
export { applyReportTo } from '@app/flow';
export type { AppliedReport, StatusReport } from '@app/flow';

export interface FlowWithSteps {
  flow: FlowEntity;
  /** primary first, then the failover step if it exists */
  steps: StepEntity[];
}

/** a flow's evaluated state, as FlowStore.updateFlows writes it */
export type FlowChange = Pick<FlowEntity, 'id' | 'status' | 'statusCode' | 'nextCheckAt' | 'error' | 'webhookState'>;

export type NewStep = Pick<StepEntity, 'flowId' | 'role' | 'channel' | 'phoneNumber' | 'label' | 'status'>;
export type NewFlow = Pick<FlowEntity, 'id' | 'definition' | 'failoverOnDelivered' | 'callbackUrl' | 'apiKeyId'>;

/** Flows and their steps (deliveries). Every multi-row change runs in one transaction. */
@Injectable()
export class FlowStore {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Optional() @Inject(PHONE_RATE_LIMIT) private readonly phoneLimit?: PhoneRateLimit,
  ) {}

  /**
   * Writes the flow and its primary step (claimed for sending for `claimMs`,
   * the flow due again when the claim runs out) together, once the per-phone
   * limit admits it (PhoneRateLimitedError otherwise). One round trip: the
   * database function `create_flow_with_primary` (migration CreateFlowFunction).
   * Returns the rows as written.
   */
  async createFlowWithPrimary(flow: NewFlow, primary: NewStep, claimMs: number): Promise<FlowWithSteps> {
    const limit = this.phoneLimit?.limit ?? 0;
    const windowSec = this.phoneLimit?.windowSec ?? 0;
    const rows = (await preparedQuery(
      this.db,
      'create_flow_with_primary',
      `SELECT step_id, flow_created_at, retry_after_sec FROM create_flow_with_primary($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [flow.id, JSON.stringify(flow.definition), flow.failoverOnDelivered, flow.callbackUrl, flow.apiKeyId, primary.channel, primary.phoneNumber, primary.label, primary.status, claimMs, limit, windowSec],
    )) as { step_id: string | null; flow_created_at: Date | null; retry_after_sec: number | null }[];
    const [row] = rows;
    if (row.retry_after_sec !== null) throw new PhoneRateLimitedError(row.retry_after_sec, limit, windowSec);
    const createdAt = row.flow_created_at!;
    const claimedUntil = new Date(Date.now() + claimMs);
    const flowRow = Object.assign(new FlowEntity(), {
      ...flow,
      status: 'InProgress',
      statusCode: null,
      error: null,
      nextCheckAt: claimedUntil,
      webhookState: null,
      createdAt,
      updatedAt: createdAt,
    });
    const stepRow = Object.assign(new StepEntity(), {
      ...primary,
      id: row.step_id!,
      trackingId: null,
      sendState: 'sending',
      sendError: null,
      claimedUntil,
      detailedStatus: null,
      errorMessage: null,
      price: null,
      latencyMs: null,
      country: null,
      operator: null,
      createdAt,
      sentAt: null,
      deliveredAt: null,
      statusUpdatedAt: null,
      checkedAt: null,
    });
    return { flow: flowRow, steps: [stepRow] };
  }

  /**
   * Claims the failover steps of flows: inserts their rows in state
   * `sending`, in one statement. The unique (flow_id, role) constraint makes
   * each insert succeed for exactly one caller, whichever process it runs in;
   * a flow whose failover was already claimed is left out of the answer.
   */
  async claimFailoverSteps(tx: EntityManager, steps: NewStep[], claimMs: number): Promise<StepEntity[]> {
    if (steps.length === 0) return [];
    const rows = await preparedQuery(
      tx,
      'claim_failover_steps',
      `INSERT INTO steps (flow_id, role, channel, phone_number, label, status, send_state, claimed_until)
       SELECT v.flow_id, v.role, v.channel, v.phone_number, v.label, v.status, 'sending', now() + ($7 || ' milliseconds')::interval
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS v(flow_id, role, channel, phone_number, label, status)
       ON CONFLICT ON CONSTRAINT uq_steps_flow_role DO NOTHING
       RETURNING *`,
      [...columnsOf(steps, ['flowId', 'role', 'channel', 'phoneNumber', 'label', 'status']), String(claimMs)],
    );
    return rows.map(stepOf);
  }

  /**
   * Records Routee's answers to claimed sends, in one statement. Only a step
   * still `sending` is changed: if its claim ran out and another replica
   * finished the send first, that record stands. Returns the ids of the
   * steps recorded.
   */
  async markStepsSent(sent: Pick<StepEntity, 'id' | 'trackingId' | 'status' | 'sentAt'>[]): Promise<Set<string>> {
    if (sent.length === 0) return new Set();
    const rows = await preparedQuery(
      this.db,
      'mark_steps_sent',
      `UPDATE steps s SET tracking_id = v.tracking_id, status = v.status, send_state = 'sent', sent_at = v.sent_at, status_updated_at = v.sent_at,
              claimed_until = NULL, error_message = NULL
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[]) AS v(id, tracking_id, status, sent_at)
        WHERE s.id = v.id AND s.send_state = 'sending'
        RETURNING s.id`,
      columnsOf(sent, ['id', 'trackingId', 'status', 'sentAt']),
    );
    return new Set(rows.map((r) => r.id as string));
  }

  /**
   * Records Routee's answer to a new flow's primary send and the flow state
   * it leads to (`change`, and `webhookState`: what the send response tells
   * the integrator) in one statement. Like markStepsSent, only a step still
   * `sending` is changed, and the flow only while it is InProgress; the
   * counts say what was written.
   */
  async markPrimarySent(
    step: Pick<StepEntity, 'id' | 'trackingId' | 'status' | 'sentAt'>,
    change: Pick<FlowEntity, 'status' | 'statusCode' | 'nextCheckAt'>,
    webhookState: string | null,
  ): Promise<{ stepRecorded: boolean; flowRecorded: boolean }> {
    const rows = (await preparedQuery(
      this.db,
      'mark_primary_sent',
      `WITH s AS (
         UPDATE steps SET tracking_id = $2, status = $3, send_state = 'sent', sent_at = $4, status_updated_at = $4, claimed_until = NULL, error_message = NULL
          WHERE id = $1 AND send_state = 'sending'
          RETURNING flow_id),
       f AS (
         UPDATE flows SET status = $5, status_code = $6, next_check_at = $7, webhook_state = $8, error = NULL, updated_at = now()
          WHERE id IN (SELECT flow_id FROM s) AND status = 'InProgress'
          RETURNING id)
       SELECT (SELECT count(*) FROM s)::int AS steps, (SELECT count(*) FROM f)::int AS flows`,
      [step.id, step.trackingId, step.status, step.sentAt, change.status, change.statusCode, change.nextCheckAt, webhookState],
    )) as { steps: number; flows: number }[];
    return { stepRecorded: rows[0].steps > 0, flowRecorded: rows[0].flows > 0 };
  }

  /**
   * Puts a claimed send back in the queue: nothing went out (Routee's circuit
   * is open), so the step stays `sending` with its claim ending at `retryAt`,
   * when the worker (of any replica) re-claims it and sends it. `note` says
   * why it waits; it is cleared when the send is recorded. Only while `sending`.
   */
  async deferSend(stepId: string, retryAt: Date, note: string): Promise<boolean> {
    const result = await this.db.getRepository(StepEntity).update({ id: stepId, sendState: 'sending' }, { claimedUntil: retryAt, errorMessage: note });
    return (result.affected ?? 0) > 0;
  }

  /** Records that Routee did not take a claimed send; like markStepsSent, only while it is `sending`. */
  async markStepFailed(stepId: string, status: string, sendError: string, errorMessage: string): Promise<boolean> {
    const result = await this.db.getRepository(StepEntity).update(
      { id: stepId, sendState: 'sending' },
      { status, sendState: 'failed', sendError, errorMessage, claimedUntil: null, statusUpdatedAt: new Date() },
    );
    return (result.affected ?? 0) > 0;
  }

  /**
   * Writes the report-borne columns of steps changed by `applyReportTo`, in
   * one statement, inside the caller's transaction, which holds their flows'
   * row locks (FlowStore.withFlowsLocked): every change to a step that has a
   * trackingId is made under its flow's lock, so the rows read under the lock
   * and changed in memory are the stored state. The one exception is
   * `checked_at`, which a read also sets without the lock (claimStepChecks):
   * it only moves forward here.
   */
  async writeReportedSteps(tx: EntityManager, steps: StepEntity[]): Promise<void> {
    if (steps.length === 0) return;
    await preparedQuery(
      tx,
      'write_reported_steps',
      `UPDATE steps s SET status = v.status, status_updated_at = v.status_updated_at, error_message = v.error_message, delivered_at = v.delivered_at,
              detailed_status = v.detailed_status, price = v.price, latency_ms = v.latency_ms, country = v.country, operator = v.operator,
              checked_at = GREATEST(s.checked_at, v.checked_at)
         FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::text[], $5::timestamptz[], $6::text[], $7::float8[], $8::int[], $9::text[], $10::text[], $11::timestamptz[])
           AS v(id, status, status_updated_at, error_message, delivered_at, detailed_status, price, latency_ms, country, operator, checked_at)
        WHERE s.id = v.id`,
      columnsOf(steps, ['id', 'status', 'statusUpdatedAt', 'errorMessage', 'deliveredAt', 'detailedStatus', 'price', 'latencyMs', 'country', 'operator', 'checkedAt']),
    );
  }

  /**
   * Claims the check with Routee of steps a read found stale: sets their
   * `checked_at` to `at`, in one statement, for those still unchecked since
   * `staleBefore` (whoever checked them since, in any replica, wins), and
   * returns the ids claimed: only those are asked about. A step whose row is
   * locked is skipped rather than waited for: its flow's evaluation is
   * writing it (with a report, so it is being checked), and a read never
   * queues behind the worker. Runs without the flow's lock, which is why
   * checked_at only ever moves forward.
   */
  async claimStepChecks(stepIds: string[], at: Date, staleBefore: Date): Promise<Set<string>> {
    if (stepIds.length === 0) return new Set();
    const rows = await preparedQuery(
      this.db,
      'claim_step_checks',
      `UPDATE steps SET checked_at = $2
        WHERE id IN (SELECT id FROM steps WHERE id = ANY($1::uuid[]) AND (checked_at IS NULL OR checked_at <= $3) FOR UPDATE SKIP LOCKED)
        RETURNING id`,
      [stepIds, at, staleBefore],
    );
    return new Set(rows.map((r) => r.id as string));
  }

  /** Writes flows' evaluated state (and what their integrator was told, `webhookState`), in one statement, inside the caller's transaction. */
  async updateFlows(tx: EntityManager, changes: FlowChange[]): Promise<void> {
    if (changes.length === 0) return;
    await preparedQuery(
      tx,
      'update_flows',
      `UPDATE flows f SET status = v.status, status_code = v.status_code, next_check_at = v.next_check_at, error = v.error,
              webhook_state = v.webhook_state, updated_at = now()
         FROM unnest($1::uuid[], $2::text[], $3::smallint[], $4::timestamptz[], $5::text[], $6::text[])
           AS v(id, status, status_code, next_check_at, error, webhook_state)
        WHERE f.id = v.id`,
      columnsOf(changes, ['id', 'status', 'statusCode', 'nextCheckAt', 'error', 'webhookState']),
    );
  }

  /**
   * Runs `fn` on the flows and their steps while holding the flows' row
   * locks, in one transaction. Deciding and writing a flow's status under
   * the lock keeps a slow evaluation from writing back a status derived from
   * older steps over a newer one. The locks are taken in id order, so two
   * batches sharing flows cannot deadlock. Flows that do not exist are left out.
   */
  async withFlowsLocked<T>(flowIds: string[], fn: (current: FlowWithSteps[], tx: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      // lock first, then read: a statement that waited for the lock still sees the rows of the snapshot
      // it started with, so a join locking the flows would hand back the steps from before the wait
      await preparedQuery(tx, 'lock_flows', `SELECT 1 FROM flows WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`, [flowIds]);
      return fn(groupedByFlow(await preparedQuery(tx, 'flows_by_ids', FLOWS_BY_IDS, [flowIds])), tx);
    });
  }

  /** The flow and its steps: one query, mapped by hand (TypeORM's entity mapping cost more than the query). */
  async load(flowId: string): Promise<FlowWithSteps | null> {
    return withStepsOf(await preparedQuery(this.db, 'flow_by_id', `${FLOW_WITH_STEPS} WHERE f.id = $1`, [flowId]));
  }

  /** Several flows with their steps in one query (the worker's batch); flows that do not exist are left out. */
  async loadMany(flowIds: string[]): Promise<FlowWithSteps[]> {
    if (flowIds.length === 0) return [];
    return groupedByFlow(await preparedQuery(this.db, 'flows_by_ids', FLOWS_BY_IDS, [flowIds]));
  }

  /** The flow a flowId or any step's trackingId names, with its steps, in one query. */
  async loadByAnyId(id: string): Promise<FlowWithSteps | null> {
    const flowId = flowIdStatement(id);
    return withStepsOf(await preparedQuery(this.db, `flow_of_${flowId.name}`, `${FLOW_WITH_STEPS} WHERE f.id = (${flowId.text})`, [id]));
  }

  async findFlowIdByTrackingId(trackingId: string): Promise<string | null> {
    const { name, text } = BY_TRACKING_ID;
    const rows = (await preparedQuery(this.db, name, text, [trackingId])) as { flow_id: string }[];
    return rows[0]?.flow_id ?? null;
  }

  /** The flow that a flowId or any step's trackingId belongs to. */
  async findFlowId(id: string): Promise<string | null> {
    const { name, text } = flowIdStatement(id);
    const rows = (await preparedQuery(this.db, name, text, [id])) as { flow_id: string }[];
    return rows[0]?.flow_id ?? null;
  }
}

/** a prepared statement's name with its text: preparedQuery wants a name always to go with the same text */
interface Statement {
  name: string;
  text: string;
}

const BY_TRACKING_ID: Statement = { name: 'flow_id_by_tracking_id', text: `SELECT flow_id FROM steps WHERE tracking_id = $1 LIMIT 1` };
const BY_ANY_ID: Statement = {
  name: 'flow_id_by_any_id',
  text: `SELECT id AS flow_id FROM flows WHERE id = $1::text::uuid UNION ALL SELECT flow_id FROM steps WHERE tracking_id = $1::text LIMIT 1`,
};

/**
 * The statement selecting (as flow_id) the flow that $1, a flowId or any step's trackingId, names.
 * flows.id is compared as a uuid so the primary key serves it (`id::text = $1` read every
 * flow: 125 ms at 700k flows); an id that is no UUID can only be a trackingId.
 */
function flowIdStatement(id: string): Statement {
  return UUID.test(id) ? BY_ANY_ID : BY_TRACKING_ID;
}

/** primary first, then the failover step */
function sortSteps(steps: StepEntity[]): StepEntity[] {
  return steps.sort((a, b) => (a.role === 'primary' ? -1 : 1) - (b.role === 'primary' ? -1 : 1));
}

/** a flow's columns (prefixed f_) and each of its steps' (one row per step) */
const FLOW_WITH_STEPS = `SELECT f.id AS f_id, f.status AS f_status, f.status_code AS f_status_code, f.definition AS f_definition,
       f.failover_on_delivered AS f_failover_on_delivered, f.callback_url AS f_callback_url, f.error AS f_error, f.api_key_id AS f_api_key_id,
       f.next_check_at AS f_next_check_at, f.webhook_state AS f_webhook_state, f.created_at AS f_created_at, f.updated_at AS f_updated_at,
       s.id, s.flow_id, s.role, s.channel, s.phone_number, s.label, s.tracking_id, s.status, s.send_state, s.send_error, s.claimed_until,
       s.detailed_status, s.error_message, s.price, s.latency_ms, s.country, s.operator, s.created_at, s.sent_at, s.delivered_at, s.status_updated_at,
       s.checked_at
  FROM flows f JOIN steps s ON s.flow_id = f.id`;

const FLOWS_BY_IDS = `${FLOW_WITH_STEPS} WHERE f.id = ANY($1::uuid[])`;

type Row = Record<string, unknown>;

/** rows of several flows (in any order) as flows with their steps */
function groupedByFlow(rows: Row[]): FlowWithSteps[] {
  const byFlow = new Map<string, Row[]>();
  for (const row of rows) {
    const flowRows = byFlow.get(row.f_id as string);
    if (flowRows) flowRows.push(row);
    else byFlow.set(row.f_id as string, [row]);
  }
  return [...byFlow.values()].map((flowRows) => withStepsOf(flowRows)!);
}

/** one array per column, for `unnest($1::type[], …)`: a set of rows in one statement */
function columnsOf<T>(rows: readonly T[], columns: readonly (keyof T)[]): unknown[][] {
  return columns.map((column) => rows.map((row) => row[column] ?? null));
}

function withStepsOf(rows: Row[]): FlowWithSteps | null {
  if (rows.length === 0) return null;
  return { flow: flowOf(rows[0]), steps: sortSteps(rows.map(stepOf)) };
}

function flowOf(r: Row): FlowEntity {
  return Object.assign(new FlowEntity(), {
    id: r.f_id,
    status: r.f_status,
    statusCode: r.f_status_code,
    definition: r.f_definition,
    failoverOnDelivered: r.f_failover_on_delivered,
    callbackUrl: r.f_callback_url,
    error: r.f_error,
    apiKeyId: r.f_api_key_id,
    nextCheckAt: r.f_next_check_at,
    webhookState: r.f_webhook_state,
    createdAt: r.f_created_at,
    updatedAt: r.f_updated_at,
  });
}

/** a steps row as selected (snake_case columns) */
function stepOf(r: Row): StepEntity {
  return Object.assign(new StepEntity(), {
    id: r.id,
    flowId: r.flow_id,
    role: r.role,
    channel: r.channel,
    phoneNumber: r.phone_number,
    label: r.label,
    trackingId: r.tracking_id,
    status: r.status,
    sendState: r.send_state,
    sendError: r.send_error,
    claimedUntil: r.claimed_until,
    detailedStatus: r.detailed_status,
    errorMessage: r.error_message,
    price: r.price,
    latencyMs: r.latency_ms,
    country: r.country,
    operator: r.operator,
    createdAt: r.created_at,
    sentAt: r.sent_at,
    deliveredAt: r.delivered_at,
    statusUpdatedAt: r.status_updated_at,
    checkedAt: r.checked_at,
  });
}
