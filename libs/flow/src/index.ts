export type {
  Channel,
  FlowConfig,
  FlowDecision,
  FlowStatus,
  FlowStatusCode,
  NextAction,
  SendError,
  StepRole,
  StepState,
} from './flow.types';
export type { StepOutcome } from './step-status';
export { classifyStatus, initialStatus, isFailoverTrigger, isSeen, isUnsent } from './step-status';
export { decideFlow, effectiveOutcome, primaryDeadline } from './flow-status';
export { isStatusProgress } from './status-progress';
