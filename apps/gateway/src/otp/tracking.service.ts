import { Injectable } from '@nestjs/common';
import { ReadRefresher, toStepView, toTrackingView } from '@app/engine';
import { DeliveryStore, FlowStore } from '@app/persistence';
import { GatewayError } from '../common/gateway-error';
import type { DeliveryListDto, ListDeliveriesQueryDto } from './dto/list-deliveries.dto';
import type { FlowTrackingDto } from './dto/tracking.dto';

/** CONTRACT section 5: pending steps are refreshed from Routee within this budget, in total, before answering. */
export const TRACKING_REFRESH_BUDGET_MS = 1000;

/**
 * What an id in the path may look like: flowIds are UUIDs and Routee's
 * trackingIds are too, but any step's trackingId is accepted as stored. Anything
 * else (too long, a NUL byte Postgres would refuse) is simply not found.
 */
export const TRACKABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** GET /otp/failover/{id} and GET /otp/failover. */
@Injectable()
export class TrackingService {
  constructor(
    private readonly refresher: ReadRefresher,
    private readonly flows: FlowStore,
    private readonly deliveries: DeliveryStore,
  ) {}

  /**
   * One flow's story by flowId or either step's trackingId, its stale steps
   * refreshed from Routee within the budget (ReadRefresher). Failover OTP
   * flows only: a Failover API flow is read at GET /failover/tracking/{id}.
   */
  async track(id: string, requestId?: string): Promise<FlowTrackingDto> {
    const found = await orNotFound(id, async (trackable) => {
      const flow = await this.flows.loadByAnyId(trackable);
      return flow?.flow.kind === 'otp' ? flow : null;
    });
    return toTrackingView(await this.refresher.refresh(found, TRACKING_REFRESH_BUDGET_MS, requestId));
  }

  /** A search over stored deliveries: it never asks Routee (tracking one flow does). */
  async list(query: ListDeliveriesQueryDto): Promise<DeliveryListDto> {
    const { total, totalExact, deliveries } = await this.deliveries.search(
      { status: query.status, tag: query.tag, phoneNumber: query.phone_number, flowId: query.flow_id },
      query.limit,
      query.offset,
    );
    return {
      total,
      total_exact: totalExact,
      limit: query.limit,
      offset: query.offset,
      results: deliveries.map((d) => toStepView(d, d.failoverFromTrackingId)),
    };
  }
}

/** The flow a path id (flowId or either step's trackingId) names, or the 404. */
export function findFlowOrFail(flows: FlowStore, id: string): Promise<string> {
  return orNotFound(id, (trackable) => flows.findFlowId(trackable));
}

/** what `find` finds for a path id that looks trackable, or the 404 */
async function orNotFound<T>(id: string, find: (trackable: string) => Promise<T | null>): Promise<T> {
  const found = TRACKABLE_ID.test(id) ? await find(id) : null;
  if (found === null) throw new GatewayError('not_found', 'tracking not found');
  return found;
}
