import { Module } from '@nestjs/common';
import { PumpingBlocksController } from './pumping-blocks.controller';
import { PumpingBlocksService } from './pumping-blocks.service';

/** GET/DELETE /otp/pumping/blocks, on the global PersistenceModule's PumpingStore; the app's guard and filter apply */
@Module({
  controllers: [PumpingBlocksController],
  providers: [PumpingBlocksService],
})
export class PumpingBlocksModule {}
