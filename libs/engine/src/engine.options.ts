import type { WebhookDispatchOptions } from './webhooks/webhook-dispatcher';

export const ENGINE_OPTIONS = Symbol('ENGINE_OPTIONS');
export const ROUTEE_CLIENT = Symbol('ROUTEE_CLIENT');

export interface EngineOptions {
  /** PUBLIC_URL: when set, Routee is asked to post delivery reports back to us */
  publicUrl?: string;
  /** secret carried by the callback URLs */
  callbackToken: string;
  /** CODE_SECRET: the key of the codes' HMAC and seal (code.ts) */
  codeSecret: string;
  /** REFRESH_INTERVAL_MS: how soon an InProgress flow is looked at again */
  refreshIntervalMs: number;
  /** SEND_CLAIM_MS: how long a claimed send may go unrenewed before another replica takes it over */
  sendClaimMs: number;
  /** ROUTEE_OUTAGE_QUEUE_MS: a send refused by Routee's open circuit is kept queued this long (from the step's creation) before it fails */
  outageQueueMs?: number;
  /** WORKER_ENABLED: run the scheduled FailoverWorker (and the webhook dispatcher) in this process */
  workerEnabled: boolean;
  webhooks: WebhookDispatchOptions & { allowPrivate: boolean };
}
