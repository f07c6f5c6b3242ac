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
export type {
  FailoverStatus,
  SendReason,
  SmsStepSpec,
  StepChannel,
  StepProgress,
  StepsDecision,
  StepSpec,
  StepsNext,
  ViberOtpStepSpec,
  ViberStepSpec,
  VoiceStepSpec,
} from './step-spec.types';
export type { StepOutcome } from './step-status';
export {
  classifyStatus,
  initialStatus,
  isFailoverTrigger,
  isSeen,
  isUnsent,
  OTP_FAILOVER_TRIGGERS,
} from './step-status';
export type { Vocabulary } from './step-vocabulary';
export { failoverStatuses, normaliseStatus, stepStatusOutcome, vocabularyOf } from './step-vocabulary';
export type { FailureCause, StepVerdict } from './step-verdict';
export { stepVerdict, ttlDeadline } from './step-verdict';
export { decideSteps } from './decide-steps';
export { decideFlow, effectiveOutcome, otpStepSpec, primaryDeadline } from './flow-status';
export { isStatusProgress } from './status-progress';
export type { AppliedReport, ReportedStep, StatusReport } from './apply-report';
export { applyReportTo } from './apply-report';
export { DomainError, type DomainErrorCode } from './domain-error';
export { attemptsLeft, checkGate, type VerificationAnswer, type VerificationState } from './verification';
