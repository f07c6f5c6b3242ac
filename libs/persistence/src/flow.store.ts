import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { SendError } from '@app/flow';
import { DataSource, EntityManager } from 'typeorm';
import { FlowEntity } from './entities/flow.entity';
import { StepEntity } from './entities/step.entity';
import { PHONE_RATE_LIMIT, PhoneRateLimitedError, type PhoneRateLimit } from './phone-rate-limit';
import { run } from './sql/statement';
import { stepOf, type FlowColumns, type FlowStepRow } from './sql/rows';
import type { NewWebhookEvent } from './webhook-event.store';
import {
  CREATE_FLOW_WITH_PRIMARY,
  FLOW_BY_ANY_ID,
  FLOW_BY_ID,
  FLOW_BY_TRACKING_ID,
  FLOW_ID_BY_ANY_ID,
  FLOW_ID_BY_TRACKING_ID,
  FLOWS_BY_IDS,
  LOCK_FLOWS,
  TRACKED_STEPS_OF_FLOWS,
  UPDATE_FLOWS,
} from './sql/flows.statements';
import {
  CLAIM_FAILOVER_STEPS,
  CLAIM_STEP_CHECKS,
  MARK_PRIMARY_SENT,
  MARK_STEP_FAILED,
  MARK_STEPS_SENT,
  QUEUE_SEND,
  RECORD_FAILOVERS_SENT,
  WRITE_REPORTED_STEPS,
} from './sql/steps.statements';

/** the text forms Postgres reads as a uuid that matter here: 8-4-4-4-12 hex digits, any case */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// the report's rules are the flow's (pure, in @app/flow); re-exported while the engine imports them from here
export { applyReportTo } from '@app/flow';
export type { AppliedReport, StatusReport } from '@app/flow';

export interface FlowWithSteps {
  flow: FlowEntity;
  /** in their order: primary first, then the failover step if it exists */
  steps: StepEntity[];
}

/** a step as far as choosing whether to ask Routee about it goes (FlowStore.loadTracked) */
export type TrackedStep = Pick<StepEntity, 'id' | 'channel' | 'status' | 'sendState' | 'trackingId'>;

/** a flow as far as choosing which of its steps to ask Routee about goes: its status and those steps */
export interface TrackedFlow {
  flow: Pick<FlowEntity, 'id' | 'status'>;
  steps: TrackedStep[];
}

/** a flow's evaluated state, as FlowStore.updateFlows writes it */
export type FlowChange = Pick<FlowEntity, 'id' | 'status' | 'statusCode' | 'nextCheckAt' | 'error' | 'webhookState'>;

/** Routee's answer to a claimed send, as recorded */
export type SentStepRecord = Pick<StepEntity, 'id' | 'trackingId' | 'status' | 'sentAt'>;

/**
 * A failover step's send to record (FlowStore.recordFailoversSent) and, when
 * that is all that moves its flow, the flow's state it leads to and that
 * state's webhook event; `version`: the flow row's version its claim wrote
 * (FlowStore.updateFlows).
 */
export interface FailoverSentRecord {
  step: SentStepRecord;
  flow: { change: FlowChange; version: string; event: NewWebhookEvent | null } | null;
}

/** `order`: the step's position in the flow's definition, from 1 */
export type NewStep = Pick<StepEntity, 'flowId' | 'order' | 'role' | 'channel' | 'phoneNumber' | 'label' | 'status'>;
export type NewFlow = Pick<
  FlowEntity,
  | 'id'
  | 'kind'
  | 'definition'
  | 'failoverOnDelivered'
  | 'callbackUrl'
  | 'callbackStrategy'
  | 'apiKeyId'
  | 'codeHash'
  | 'codeExpiresAt'
  | 'codeCiphertext'
>;

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
   * database function `create_flow_with_primary` (migration CreateFlowReturnsRows),
   * which writes the primary as step 1 and returns the rows as written.
   */
  async createFlowWithPrimary(flow: NewFlow, primary: Omit<NewStep, 'order'>, claimMs: number): Promise<FlowWithSteps> {
    const limit = this.phoneLimit?.limit ?? 0;
    const windowSec = this.phoneLimit?.windowSec ?? 0;
    const [row] = await run(this.db, CREATE_FLOW_WITH_PRIMARY, [
      flow.id,
      JSON.stringify(flow.definition),
      flow.failoverOnDelivered,
      flow.callbackUrl,
      flow.apiKeyId,
      primary.channel,
      primary.phoneNumber,
      primary.label,
      primary.status,
      claimMs,
      limit,
      windowSec,
      flow.kind,
      flow.callbackStrategy,
      flow.codeHash,
      flow.codeExpiresAt,
      flow.codeCiphertext,
    ]);
    if (row.retry_after_sec !== null) throw new PhoneRateLimitedError(row.retry_after_sec, limit, windowSec);
    return withStepsOf([row])!;
  }

  /**
   * Claims the failover steps of flows: inserts their rows in state
   * `sending`, in one statement. The unique (flow_id, role) constraint makes
   * each insert succeed for exactly one caller, whichever process it runs in;
   * a flow whose failover was already claimed is left out of the answer.
   */
  async claimFailoverSteps(tx: EntityManager, steps: NewStep[], claimMs: number): Promise<StepEntity[]> {
    if (steps.length === 0) return [];
    const column = columnOf(steps);
    const rows = await run(tx, CLAIM_FAILOVER_STEPS, [
      column('flowId'),
      column('order'),
      column('role'),
      column('channel'),
      column('phoneNumber'),
      column('label'),
      column('status'),
      String(claimMs),
    ]);
    return rows.map(stepOf);
  }

  /**
   * Records Routee's answers to claimed sends, in one statement. Only a step
   * still `sending` is changed: if its claim ran out and another replica
   * finished the send first, that record stands. Returns the ids of the
   * steps recorded.
   */
  async markStepsSent(sent: SentStepRecord[]): Promise<Set<string>> {
    if (sent.length === 0) return new Set();
    const column = columnOf(sent);
    const rows = await run(this.db, MARK_STEPS_SENT, [
      column('id'),
      column('trackingId'),
      column('status'),
      column('sentAt'),
    ]);
    return new Set(rows.map((r) => r.id));
  }

  /**
   * Records Routee's answers to claimed failover sends and, for each that
   * carries one, its flow's new state and webhook event, in one statement
   * (RECORD_FAILOVERS_SENT): the locked evaluation after the send, without
   * its lock and reload. A step is recorded only while `sending` (as in
   * markStepsSent); its flow's state only with it, and only while the flow
   * row is still the version its claim wrote: nothing else moved the flow
   * meanwhile, so the state derived from the steps the claim saw is the
   * stored one. Returns, for each step recorded, its flow's `updatedAt` when
   * its state was written too, else null (the flow is the locked evaluation's).
   */
  async recordFailoversSent(records: FailoverSentRecord[]): Promise<Map<string, Date | null>> {
    if (records.length === 0) return new Map();
    const step = columnOf(records.map((r) => r.step));
    const flows = records.flatMap((r) => (r.flow ? [r.flow] : []));
    const flow = columnOf(flows.map((f) => f.change));
    const events = flows.flatMap((f) => (f.event ? [f.event] : []));
    const rows = await run(this.db, RECORD_FAILOVERS_SENT, [
      step('id'),
      step('trackingId'),
      step('status'),
      step('sentAt'),
      flow('id'),
      flows.map((f) => f.version),
      flow('status'),
      flow('statusCode'),
      flow('nextCheckAt'),
      flow('error'),
      flow('webhookState'),
      events.map((e) => e.flowId),
      events.map((e) => e.type),
      events.map((e) => e.url),
      events.map((e) => JSON.stringify(e.payload)),
    ]);
    return new Map(rows.map((r) => [r.id, r.flow_updated_at]));
  }

  /**
   * Records Routee's answer to a new flow's primary send and the flow state
   * it leads to (`change`, and `webhookState`: what the send response tells
   * the integrator) in one statement. Like markStepsSent, only a step still
   * `sending` is changed, and the flow only while it is InProgress; the
   * counts say what was written.
   */
  async markPrimarySent(
    step: SentStepRecord & Pick<StepEntity, 'flowId'>,
    change: Pick<FlowEntity, 'status' | 'statusCode' | 'nextCheckAt'>,
    webhookState: string | null,
  ): Promise<{ stepRecorded: boolean; flowRecorded: boolean }> {
    const [counts] = await run(this.db, MARK_PRIMARY_SENT, [
      step.id,
      step.trackingId,
      step.status,
      step.sentAt,
      change.status,
      change.statusCode,
      change.nextCheckAt,
      webhookState,
      step.flowId,
    ]);
    return { stepRecorded: counts.steps > 0, flowRecorded: counts.flows > 0 };
  }

  /**
   * Puts a claimed send back in the queue: nothing went out (Routee's circuit
   * is open), so the step goes `queued` with its claim ending at `retryAt`,
   * when the worker (of any replica) claims it and sends it
   * (WorkQueueStore.claimDueSends). Only while `sending`.
   */
  async queueSend(stepId: string, retryAt: Date): Promise<boolean> {
    return (await run(this.db, QUEUE_SEND, [stepId, retryAt])).length > 0;
  }

  /** Records that Routee did not take a claimed send; like markStepsSent, only while it is `sending`. */
  async markStepFailed(stepId: string, status: string, sendError: SendError, errorMessage: string): Promise<boolean> {
    return (await run(this.db, MARK_STEP_FAILED, [stepId, status, sendError, errorMessage, new Date()])).length > 0;
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
    const column = columnOf(steps);
    await run(tx, WRITE_REPORTED_STEPS, [
      column('id'),
      column('status'),
      column('statusUpdatedAt'),
      column('errorMessage'),
      column('deliveredAt'),
      column('detailedStatus'),
      column('price'),
      column('latencyMs'),
      column('country'),
      column('operator'),
      column('messageId'),
      column('durationSec'),
      column('answeredBy'),
      column('checkedAt'),
    ]);
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
    const rows = await run(this.db, CLAIM_STEP_CHECKS, [stepIds, at, staleBefore]);
    return new Set(rows.map((r) => r.id));
  }

  /**
   * Writes flows' evaluated state (and what their integrator was told,
   * `webhookState`), in one statement, inside the caller's transaction.
   * Returns each flow row's version as written (recordFailoversSent).
   */
  async updateFlows(tx: EntityManager, changes: FlowChange[]): Promise<Map<string, string>> {
    if (changes.length === 0) return new Map();
    const column = columnOf(changes);
    const rows = await run(tx, UPDATE_FLOWS, [
      column('id'),
      column('status'),
      column('statusCode'),
      column('nextCheckAt'),
      column('error'),
      column('webhookState'),
    ]);
    return new Map(rows.map((r) => [r.id, r.version]));
  }

  /**
   * Runs `fn` on the flows and their steps while holding the flows' row
   * locks, in one transaction. Deciding and writing a flow's status under
   * the lock keeps a slow evaluation from writing back a status derived from
   * older steps over a newer one. The locks are taken in id order, so two
   * batches sharing flows cannot deadlock. Flows that do not exist are left out.
   */
  async withFlowsLocked<T>(
    flowIds: string[],
    fn: (current: FlowWithSteps[], tx: EntityManager) => Promise<T>,
  ): Promise<T> {
    return this.db.transaction(async (tx) => {
      // lock first, then read: a statement that waited for the lock still sees the rows of the snapshot
      // it started with, so a join locking the flows would hand back the steps from before the wait
      await run(tx, LOCK_FLOWS, [flowIds]);
      return fn(groupedByFlow(await run(tx, FLOWS_BY_IDS, [flowIds])), tx);
    });
  }

  /** The flow and its steps: one query, mapped by hand (TypeORM's entity mapping cost more than the query). */
  async load(flowId: string): Promise<FlowWithSteps | null> {
    return withStepsOf(await run(this.db, FLOW_BY_ID, [flowId]));
  }

  /** Several flows with their steps in one query (the worker's batch); flows that do not exist are left out. */
  async loadMany(flowIds: string[]): Promise<FlowWithSteps[]> {
    if (flowIds.length === 0) return [];
    return groupedByFlow(await run(this.db, FLOWS_BY_IDS, [flowIds]));
  }

  /**
   * Several flows' status and their steps as far as choosing which to ask
   * Routee about goes (the worker's batch), in one query of narrow rows;
   * flows that do not exist are left out.
   */
  async loadTracked(flowIds: string[]): Promise<TrackedFlow[]> {
    if (flowIds.length === 0) return [];
    const byFlow = new Map<string, TrackedFlow>();
    for (const r of await run(this.db, TRACKED_STEPS_OF_FLOWS, [flowIds])) {
      const step = {
        id: r.id,
        channel: r.channel,
        status: r.status,
        sendState: r.send_state,
        trackingId: r.tracking_id,
      };
      const flow = byFlow.get(r.flow_id);
      if (flow) flow.steps.push(step);
      else byFlow.set(r.flow_id, { flow: { id: r.flow_id, status: r.flow_status }, steps: [step] });
    }
    return [...byFlow.values()];
  }

  /** The flow a flowId or any step's trackingId names, with its steps, in one query. */
  async loadByAnyId(id: string): Promise<FlowWithSteps | null> {
    return withStepsOf(await run(this.db, UUID.test(id) ? FLOW_BY_ANY_ID : FLOW_BY_TRACKING_ID, [id]));
  }

  async findFlowIdByTrackingId(trackingId: string): Promise<string | null> {
    const [row] = await run(this.db, FLOW_ID_BY_TRACKING_ID, [trackingId]);
    return row?.flow_id ?? null;
  }

  /** The flow that a flowId or any step's trackingId belongs to (an id that is no UUID can only be a trackingId). */
  async findFlowId(id: string): Promise<string | null> {
    const [row] = await run(this.db, UUID.test(id) ? FLOW_ID_BY_ANY_ID : FLOW_ID_BY_TRACKING_ID, [id]);
    return row?.flow_id ?? null;
  }
}

/** in their order (primary first, then the failover step) */
function sortSteps(steps: StepEntity[]): StepEntity[] {
  return steps.sort((a, b) => a.order - b.order);
}

/** rows of several flows (in any order) as flows with their steps */
function groupedByFlow(rows: FlowStepRow[]): FlowWithSteps[] {
  const byFlow = new Map<string, FlowStepRow[]>();
  for (const row of rows) {
    const flowRows = byFlow.get(row.f_id);
    if (flowRows) flowRows.push(row);
    else byFlow.set(row.f_id, [row]);
  }
  return [...byFlow.values()].map((flowRows) => withStepsOf(flowRows)!);
}

/** one array per column, for `unnest($1::type[], …)`: a set of rows in one statement */
function columnOf<T>(rows: readonly T[]): <K extends keyof T>(column: K) => T[K][] {
  return (column) => rows.map((row) => row[column] ?? (null as T[typeof column]));
}

function withStepsOf(rows: FlowStepRow[]): FlowWithSteps | null {
  if (rows.length === 0) return null;
  return { flow: flowOf(rows[0]), steps: sortSteps(rows.map(stepOf)) };
}

function flowOf(r: FlowColumns): FlowEntity {
  return Object.assign(new FlowEntity(), {
    id: r.f_id,
    status: r.f_status,
    kind: r.f_kind,
    callbackStrategy: r.f_callback_strategy,
    codeHash: r.f_code_hash,
    codeExpiresAt: r.f_code_expires_at,
    verifyAttempts: r.f_verify_attempts,
    verificationStatus: r.f_verification_status,
    verifiedAt: r.f_verified_at,
    codeCiphertext: r.f_code_ciphertext,
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
