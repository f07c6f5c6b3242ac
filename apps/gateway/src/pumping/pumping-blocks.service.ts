import { Injectable, Logger } from '@nestjs/common';
import { PumpingStore, type PumpingBlock } from '@app/persistence';
import { GatewayError } from '../common/gateway-error';
import type { PumpingBlockDto, PumpingBlockListDto } from './dto/pumping-block.dto';

export const NO_BLOCK = 'no block in force on this prefix';

/** The pumping guard's blocks over HTTP (the console; the keys CLI does the same on the database). */
@Injectable()
export class PumpingBlocksService {
  private readonly log = new Logger('PumpingGuard');

  constructor(private readonly store: PumpingStore) {}

  async list(all: boolean): Promise<PumpingBlockListDto> {
    return { blocks: (await this.store.list(all)).map((b) => toDto(b, new Date())) };
  }

  /** lifts the block in force: sends to the prefix go through at once, on every replica (the block is a row) */
  async lift(prefix: string): Promise<PumpingBlockDto> {
    const lifted = await this.store.lift(prefix);
    if (lifted === null) throw new GatewayError('not_found', NO_BLOCK);
    this.log.log(
      `destination prefix +${prefix} unblocked by an operator (was blocked until ${lifted.until.toISOString()})`,
    );
    return toDto(lifted, new Date());
  }
}

function toDto(b: PumpingBlock, now: Date): PumpingBlockDto {
  return {
    id: b.id,
    prefix: b.prefix,
    blocked_at: b.blockedAt.toISOString(),
    until: b.until.toISOString(),
    flows: b.flows,
    approved: b.approved,
    conversion: b.conversion,
    state: b.liftedAt ? 'lifted' : b.until > now ? 'in_force' : 'expired',
    ...(b.liftedAt && { lifted_at: b.liftedAt.toISOString() }),
  };
}
