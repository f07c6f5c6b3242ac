import { Injectable } from '@nestjs/common';
import { classifyStatus, type Channel } from '@app/flow';
import { FlowEngine } from '@app/engine';
import { DeliveryStore, FlowStore, type DeliveryRecord, type FlowWithSteps } from '@app/persistence';
import { GatewayError } from '../common/gateway-error';
import type { DeliveryListDto, ListDeliveriesQueryDto } from './dto/list-deliveries.dto';
import type { FlowTrackingDto, TrackingStepDto } from './dto/tracking.dto';

/** CONTRACT section 5: pending steps are refreshed from Routee within this budget, in total, before answering. */
export const TRACKING_REFRESH_BUDGET_MS = 1000;

/**
 * What an id in the path may look like: flowIds are UUIDs and Routee's
 * trackingIds are too, but any step's trackingId is accepted as stored. Anything
 * else (too long, a NUL byte Postgres would refuse) is simply not found.
 */
const TRACKABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The fields of a step the tracking body shows: a stored step and a list row both have them. */
type StepFields = Pick<
  DeliveryRecord,
  | 'trackingId'
  | 'role'
  | 'status'
  | 'channel'
  | 'phoneNumber'
  | 'price'
  | 'latencyMs'
  | 'country'
  | 'operator'
  | 'createdAt'
  | 'sentAt'
  | 'deliveredAt'
  | 'detailedStatus'
  | 'errorMessage'
  | 'label'
>;

/** GET /otp/failover/{id} and GET /otp/failover. */
@Injectable()
export class TrackingService {
  constructor(
    private readonly engine: FlowEngine,
    private readonly flows: FlowStore,
    private readonly deliveries: DeliveryStore,
  ) {}

  /** One flow's story by flowId or either step's trackingId, refreshed from Routee within the budget. */
  async track(id: string): Promise<FlowTrackingDto> {
    const flowId = TRACKABLE_ID.test(id) ? await this.flows.findFlowId(id) : null;
    if (!flowId) throw new GatewayError('not_found', 'tracking not found');
    return toFlowTracking(await this.engine.refresh(flowId, TRACKING_REFRESH_BUDGET_MS));
  }

  /** A search over stored deliveries: it never asks Routee (tracking one flow does). */
  async list(query: ListDeliveriesQueryDto): Promise<DeliveryListDto> {
    const { total, deliveries } = await this.deliveries.search(
      { status: query.status, tag: query.tag, phoneNumber: query.phone_number, flowId: query.flow_id },
      query.limit,
      query.offset,
    );
    return {
      total,
      limit: query.limit,
      offset: query.offset,
      results: deliveries.map((d) => ({ flowId: d.flowId, ...toStepDto(d, d.failoverFromTrackingId) })),
    };
  }
}

export function toFlowTracking({ flow, steps }: FlowWithSteps): FlowTrackingDto {
  const primary = steps.find((s) => s.role === 'primary');
  return {
    flowId: flow.id,
    status: flow.status,
    statusCode: flow.statusCode,
    total_cost: sumPrices(steps.map((s) => s.price)),
    steps: steps.map((s) => toStepDto(s, s.role === 'failover' ? (primary?.trackingId ?? null) : null)),
  };
}

/**
 * Sum of the known prices, rounded to 10 decimals (as @app/routee sums SMS parts), far
 * beyond any currency's precision, so that 0.0093 + 0.0375 reads 0.0468, not 0.046799999999999994.
 */
export function sumPrices(prices: (number | null)[]): number {
  const sum = prices.reduce<number>((total, price) => total + (price ?? 0), 0);
  return Math.round(sum * 1e10) / 1e10;
}

/** A step in Routee's hosted-service shape; unknown fields are left out, not sent as null. */
export function toStepDto(step: StepFields, failoverFrom: string | null): TrackingStepDto {
  // The store keeps Routee's description of every status, also of progress like Viber SENT
  // ("The message was sent to Viber."): it is only an error message on a failed delivery.
  const failed = classifyStatus(step.channel as Channel, step.status) === 'failure';
  const optional = {
    price: step.price,
    latency_ms: step.latencyMs,
    country: step.country,
    operator: step.operator,
    created_at: step.createdAt.toISOString(),
    sent_at: step.sentAt?.toISOString(),
    delivered_at: step.deliveredAt?.toISOString(),
    detailed_status: step.detailedStatus,
    error_message: failed ? step.errorMessage : null,
    label: step.label,
    failover_from_message_token: failoverFrom,
  };
  return {
    trackingId: step.trackingId,
    role: step.role,
    status: step.status,
    channel: step.channel,
    phone_number: step.phoneNumber,
    ...(Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== null && v !== undefined)) as Partial<TrackingStepDto>),
  } as TrackingStepDto;
}
