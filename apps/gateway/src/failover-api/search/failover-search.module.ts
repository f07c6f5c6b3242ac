import { Module } from '@nestjs/common';
import { FailoverSearchController } from './failover-search.controller';
import { FailoverSearchService } from './failover-search.service';

/** POST /failover/tracking, on the global PersistenceModule's FailoverSearchStore; the app's guard and filter apply */
@Module({
  controllers: [FailoverSearchController],
  providers: [FailoverSearchService],
})
export class FailoverSearchModule {}
