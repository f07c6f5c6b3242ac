import { classifyStatus } from '@app/flow';
import type { DeliveryRecord, FlowWithSteps } from '@app/persistence';

/**
 * The tracking body (https://docs.routee.net/docs/tracking-deliveries): what GET /otp/failover/{id}
 * answers and what a webhook carries. Snake_case like Routee's hosted service;
 * a field that is not known is left out rather than sent as null.
 */
export interface TrackingStepView {
  trackingId: string | null;
  /** the flow this step belongs to (Routee's webhook field list names it on every step) */
  flowId: string;
  role: string;
  status: string;
  channel: string;
  phone_number: string;
  price?: number;
  latency_ms?: number;
  country?: string;
  operator?: string;
  created_at: string;
  sent_at?: string;
  delivered_at?: string;
  detailed_status?: string;
  error_message?: string;
  label?: string;
  failover_from_message_token?: string;
}

/** the code check (POST /otp/verify): pending, approved or canceled, when it was approved, the checks made */
export interface VerificationView {
  status: string;
  verified_at: string | null;
  attempts: number;
}

export interface TrackingView {
  flowId: string;
  status: string;
  statusCode: number | null;
  total_cost: number;
  /** left out when the flow has no code (created before verification existed) */
  verification?: VerificationView;
  steps: TrackingStepView[];
}

/** The fields of a step the tracking body shows: a stored step and a list row both have them. */
export type StepFields = Pick<
  DeliveryRecord,
  | 'trackingId'
  | 'flowId'
  | 'role'
  | 'status'
  | 'channel'
  | 'phoneNumber'
  | 'price'
  | 'latencyMs'
  | 'country'
  | 'operator'
  | 'createdAt'
  | 'sentAt'
  | 'deliveredAt'
  | 'detailedStatus'
  | 'errorMessage'
  | 'label'
>;

export function toTrackingView({ flow, steps }: FlowWithSteps): TrackingView {
  const primary = steps.find((s) => s.role === 'primary');
  return {
    flowId: flow.id,
    status: flow.status,
    statusCode: flow.statusCode,
    total_cost: sumPrices(steps.map((s) => s.price)),
    ...(flow.verificationStatus !== null && {
      verification: {
        status: flow.verificationStatus,
        verified_at: flow.verifiedAt?.toISOString() ?? null,
        attempts: flow.verifyAttempts,
      },
    }),
    steps: steps.map((s) => toStepView(s, s.role === 'failover' ? (primary?.trackingId ?? null) : null)),
  };
}

/**
 * Sum of the known prices, rounded to 10 decimals (as @app/routee sums SMS parts), far
 * beyond any currency's precision, so that 0.0093 + 0.0375 reads 0.0468, not 0.046799999999999994.
 */
export function sumPrices(prices: (number | null)[]): number {
  const sum = prices.reduce<number>((total, price) => total + (price ?? 0), 0);
  return Math.round(sum * 1e10) / 1e10;
}

/** A step in Routee's hosted-service shape; unknown fields are left out, not sent as null. */
export function toStepView(step: StepFields, failoverFrom: string | null): TrackingStepView {
  // The store keeps Routee's description of every status, also of progress like Viber SENT
  // ("The message was sent to Viber."): it is only an error message on a failed delivery.
  const failed = classifyStatus(step.channel, step.status) === 'failure';
  // built field by field, in this order (on the hot path of every GET and list page: no entries/fromEntries)
  const view: Partial<TrackingStepView> = {
    trackingId: step.trackingId,
    flowId: step.flowId,
    role: step.role,
    status: step.status,
    channel: step.channel,
    phone_number: step.phoneNumber,
  };
  if (known(step.price)) view.price = step.price;
  if (known(step.latencyMs)) view.latency_ms = step.latencyMs;
  if (known(step.country)) view.country = step.country;
  if (known(step.operator)) view.operator = step.operator;
  view.created_at = step.createdAt.toISOString();
  if (known(step.sentAt)) view.sent_at = step.sentAt.toISOString();
  if (known(step.deliveredAt)) view.delivered_at = step.deliveredAt.toISOString();
  if (known(step.detailedStatus)) view.detailed_status = step.detailedStatus;
  if (failed && known(step.errorMessage)) view.error_message = step.errorMessage;
  if (known(step.label)) view.label = step.label;
  if (failoverFrom !== null) view.failover_from_message_token = failoverFrom;
  return view as TrackingStepView;
}

function known<T>(value: T | null | undefined): value is T {
  return value !== null && value !== undefined;
}
