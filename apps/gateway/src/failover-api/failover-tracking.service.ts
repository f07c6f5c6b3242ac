import { Injectable } from '@nestjs/common';
import { ReadRefresher, toFailoverTracking, type FailoverTrackingView } from '@app/engine';
import { FlowStore } from '@app/persistence';
import { TRACKING_REFRESH_BUDGET_MS } from '../otp/tracking.service';
import { PlatformError } from './platform-error';

/** what an id in the path may look like (flowIds and Routee's ids); anything else is simply not found */
const TRACKABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** GET /failover/tracking/{trackingId} */
@Injectable()
export class FailoverTrackingService {
  constructor(
    private readonly refresher: ReadRefresher,
    private readonly flows: FlowStore,
  ) {}

  /**
   * A Failover API flow by its trackingId or any of its messages' (a Voice step's conversationTrackingId or its call's messageId), its
   * pending steps refreshed from Routee within 1 s. A Failover OTP flow is not one: it answers 404 here.
   */
  async track(id: string, requestId?: string): Promise<FailoverTrackingView> {
    const found = TRACKABLE_ID.test(id) ? await this.flows.loadByAnyId(id) : null;
    if (found === null || found.flow.kind !== 'failover') throw PlatformError.notFound();
    return toFailoverTracking(await this.refresher.refresh(found, TRACKING_REFRESH_BUDGET_MS, requestId));
  }
}
