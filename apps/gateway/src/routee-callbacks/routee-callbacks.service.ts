import { Injectable } from '@nestjs/common';
import { FlowEngine, maskPhone, reportOf, RequestLogger } from '@app/engine';
import type { StatusReport } from '@app/persistence';
import { foldSmsParts, readViberTracking, readVoiceCallback } from '@app/routee';
import { GatewayError } from '../common/gateway-error';
import type { CallbackResultDto } from './dto/routee-callback.dto';

/** how long a multipart SMS report waits for Routee's tracking (Routee drops a callback after ~2 s) */
const MULTIPART_REFRESH_BUDGET_MS = 1000;

/**
 * Applies Routee's delivery reports as they come: the step's status moves
 * (forward only), the flow is re-evaluated, and a failover that became due is
 * sent before the answer goes back. Reports race the poller, GET refreshes
 * and the other replicas' callbacks safely: see FlowEvaluator.
 */
@Injectable()
export class RouteeCallbacksService {
  private readonly log = new RequestLogger('RouteeCallbacks');

  constructor(private readonly engine: FlowEngine) {}

  async viber(body: unknown, requestId?: string): Promise<CallbackResultDto> {
    const tracking = readViberTracking(body, '');
    if (!tracking?.trackingId)
      throw GatewayError.field(
        ['body', 'trackingId'],
        'a Viber delivery report needs trackingId and status.name',
        'missing',
      );
    return this.apply(tracking.trackingId, reportOf(tracking), body, requestId);
  }

  /** A Voice call's report: the conversation's trackingId is the step's. */
  async voice(body: unknown, requestId?: string): Promise<CallbackResultDto> {
    const tracking = readVoiceCallback(body);
    if (!tracking)
      throw GatewayError.field(
        ['body', 'conversationTrackingId'],
        'a Voice call report needs conversationTrackingId and status.name',
        'missing',
      );
    return this.apply(tracking.trackingId, reportOf(tracking), body, requestId);
  }

  /**
   * Routee reports an SMS per part. A one-part message's report is the
   * message's status and is applied as is. For a multipart message a part's
   * report says nothing about the other parts ("Delivered" for part 1 while
   * part 2 is still on its way), so the message is re-read from Routee's
   * tracking instead, which lists every part and is folded (delivered only
   * when every part is, failed when any part failed, price summed).
   */
  async sms(body: unknown, requestId?: string): Promise<CallbackResultDto> {
    const part = foldSmsParts(body, '');
    if (!part?.trackingId)
      throw GatewayError.field(
        ['body', 'messageId'],
        'an SMS delivery report needs messageId and status.name',
        'missing',
      );
    if ((part.parts ?? 1) <= 1) return this.apply(part.trackingId, reportOf(part), body, requestId);

    const flow = await this.engine.refreshTracking(part.trackingId, MULTIPART_REFRESH_BUDGET_MS, requestId);
    return flow ? { result: 'refreshed' } : this.ignored(part.trackingId, part.status, body, requestId);
  }

  private async apply(
    trackingId: string,
    report: StatusReport,
    raw: unknown,
    requestId: string | undefined,
  ): Promise<CallbackResultDto> {
    const outcome = await this.engine.applyReport(trackingId, report, requestId);
    if (!outcome) return this.ignored(trackingId, report.status, raw, requestId);
    return { result: outcome.applied.changed ? 'applied' : 'unchanged' };
  }

  /**
   * Answered 200 all the same: Routee retries anything else, and a report for
   * a message we do not know will not become known by retrying. It happens
   * when Routee's first (Queued) report overtakes our recording of the send;
   * the poller reads that message's status anyway.
   */
  private ignored(trackingId: string, status: string, raw: unknown, requestId: string | undefined): CallbackResultDto {
    const to = (raw as { to?: unknown } | null)?.to;
    // status and trackingId come from the request: one line, bounded, whatever they hold
    const line = `${printable(status)} report for unknown trackingId ${printable(trackingId)}${typeof to === 'string' ? ` (to ${maskPhone(to.replace(/\D/g, ''))})` : ''} ignored`;
    // the Queued report racing our record of the send is routine; anything else deserves a look
    const log = this.log.for(requestId);
    if (/^queued$/i.test(status)) log.debug(line);
    else log.warn(line);
    return { result: 'ignored' };
  }
}

/** control characters (a forged line break) replaced, length capped */
function printable(value: unknown): string {
  const text = String(value).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}
