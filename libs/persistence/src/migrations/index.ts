import { Initial1795417379816 } from './1795417379816-Initial';
import { SendClaimIndex1795500000000 } from './1795500000000-SendClaimIndex';
import { DeliveryListIndexes1795510000000 } from './1795510000000-DeliveryListIndexes';
import { WebhookOutbox1795520000000 } from './1795520000000-WebhookOutbox';
import { PhoneRateLimitIndex1795530000000 } from './1795530000000-PhoneRateLimitIndex';
import { CreateFlowFunction1795540000000 } from './1795540000000-CreateFlowFunction';
import { IdempotencyClaims1795550000000 } from './1795550000000-IdempotencyClaims';
import { StepCheckedAt1795560000000 } from './1795560000000-StepCheckedAt';
import { StepStateChecks1795570000000 } from './1795570000000-StepStateChecks';
import { StepOrder1795580000000 } from './1795580000000-StepOrder';
import { CreateFlowReturnsRows1795590000000 } from './1795590000000-CreateFlowReturnsRows';
import { FailoverApi1795600000000 } from './1795600000000-FailoverApi';
import { FailoverSearchIndexes1795610000000 } from './1795610000000-FailoverSearchIndexes';
import { Verification1795620000000 } from './1795620000000-Verification';
import { StatsIndexes1795630000000 } from './1795630000000-StatsIndexes';
import { PumpingGuard1795640000000 } from './1795640000000-PumpingGuard';
import { TerminationChannel1795650000000 } from './1795650000000-TerminationChannel';
import { StatsRollup1795660000000 } from './1795660000000-StatsRollup';
import { PumpingPrefixInlined1795680000000 } from './1795680000000-PumpingPrefixInlined';
import { FailoverSearchTable1795700000000 } from './1795700000000-FailoverSearchTable';
import { Retention1795800000000 } from './1795800000000-Retention';
import { WebhookDeliveringIndex1795810000000 } from './1795810000000-WebhookDeliveringIndex';
import { PartialIndexesOffTheKeyPath1795820000000 } from './1795820000000-PartialIndexesOffTheKeyPath';

/** Every migration, in order. Listed explicitly so the same list works from ts (tests, CLI) and from dist. */
export const MIGRATIONS = [
  Initial1795417379816,
  SendClaimIndex1795500000000,
  DeliveryListIndexes1795510000000,
  WebhookOutbox1795520000000,
  PhoneRateLimitIndex1795530000000,
  CreateFlowFunction1795540000000,
  IdempotencyClaims1795550000000,
  StepCheckedAt1795560000000,
  StepStateChecks1795570000000,
  StepOrder1795580000000,
  CreateFlowReturnsRows1795590000000,
  FailoverApi1795600000000,
  FailoverSearchIndexes1795610000000,
  Verification1795620000000,
  StatsIndexes1795630000000,
  PumpingGuard1795640000000,
  TerminationChannel1795650000000,
  StatsRollup1795660000000,
  PumpingPrefixInlined1795680000000,
  FailoverSearchTable1795700000000,
  Retention1795800000000,
  WebhookDeliveringIndex1795810000000,
  PartialIndexesOffTheKeyPath1795820000000,
];
