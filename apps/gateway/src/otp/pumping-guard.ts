import { Inject, Injectable } from '@nestjs/common';
import type { GatewayConfig } from '@app/config';
import { RequestLogger } from '@app/engine';
import { PumpingStore, type PumpingBlock, type PumpingRule } from '@app/persistence';
import { GatewayError } from '../common/gateway-error';
import { GATEWAY_CONFIG } from '../gateway-config.provider';
import type { SendFailoverDto } from './dto/send-failover.dto';

/**
 * The pumping guard (CONTRACT section 11, docs/operations.md "Pumping guard"):
 * refuses a new Failover OTP flow (429) while its primary step's destination
 * prefix is blocked, and blocks the prefix when its latest PUMPING_MIN_FLOWS
 * flows of the hour are verified below PUMPING_MIN_CONVERSION. Off unless
 * PUMPING_GUARD=true; then one statement a send.
 */
@Injectable()
export class PumpingGuard {
  private readonly log = new RequestLogger('PumpingGuard');
  private readonly enabled: boolean;
  private readonly rule: PumpingRule;

  constructor(
    private readonly store: PumpingStore,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    const { enabled, ...rule } = config.pumping;
    this.enabled = enabled;
    this.rule = rule;
  }

  /** throws the 429 when the flow's destination prefix is blocked (or becomes blocked by this check) */
  async check(dto: SendFailoverDto, requestId?: string): Promise<void> {
    if (!this.enabled) return;
    const primary = dto.flow.reduce((first, step) => (step.order < first.order ? step : first));
    const figures = await this.store.figures(primary.to, this.rule);
    if (figures.block !== null) throw refusal({ prefix: figures.prefix, ...figures.block });
    const { flows, approved } = figures;
    if (flows < this.rule.minFlows || approved / flows >= this.rule.minConversion) return;

    const blocked = await this.store.block(figures.prefix, this.rule);
    if (blocked === null) return; // lifted meanwhile: the figures start afresh
    if (blocked.created) {
      const { prefix, until, conversion } = blocked.block;
      this.log
        .for(requestId)
        .warn(
          `destination prefix +${prefix} blocked until ${until.toISOString()}: ${blocked.block.flows} flows, ${blocked.block.approved} approved, conversion ${conversion.toFixed(3)} (under ${this.rule.minConversion})`,
        );
    }
    throw refusal(blocked.block);
  }
}

function refusal(block: Pick<PumpingBlock, 'prefix' | 'until' | 'flows' | 'approved' | 'conversion'>): GatewayError {
  const retryAfterSec = Math.max(1, Math.ceil((block.until.getTime() - Date.now()) / 1000));
  return GatewayError.rateLimited(
    `destination prefix blocked: low verification rate to +${block.prefix} (${block.approved} of the last ${block.flows} flows verified, ${percent(block.conversion)}); retry in ${retryAfterSec} s`,
    retryAfterSec,
  );
}

function percent(fraction: number): string {
  return `${Math.round(fraction * 1000) / 10} %`;
}
