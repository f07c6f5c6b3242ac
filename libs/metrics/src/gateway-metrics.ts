import { constants, monitorEventLoopDelay, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import heapSizeAndUsed from 'prom-client/lib/metrics/heapSizeAndUsed';
import heapSpacesSizeAndUsed from 'prom-client/lib/metrics/heapSpacesSizeAndUsed';
import osMemoryHeap from 'prom-client/lib/metrics/osMemoryHeap';
import processCpuTotal from 'prom-client/lib/metrics/processCpuTotal';
import processHandles from 'prom-client/lib/metrics/processHandles';
import processMaxFileDescriptors from 'prom-client/lib/metrics/processMaxFileDescriptors';
import processOpenFileDescriptors from 'prom-client/lib/metrics/processOpenFileDescriptors';
import processRequests from 'prom-client/lib/metrics/processRequests';
import processResources from 'prom-client/lib/metrics/processResources';
import processStartTime from 'prom-client/lib/metrics/processStartTime';
import version from 'prom-client/lib/metrics/version';

/** the surface a flow was started on: Failover OTP (`/otp/*`) or the Failover API (`/failover`) */
export type FlowApi = 'otp' | 'failover';
/** a Routee endpoint as the metrics name it: never its path, which carries ids */
export type RouteeEndpoint =
  'token' | 'viber_otp' | 'viber' | 'sms' | 'voice' | 'viber_tracking' | 'sms_tracking' | 'voice_tracking';
/**
 * One attempt's outcome: `ok` (an answer below 400), `client_error` (4xx), `server_error` (5xx), `timeout` (no
 * answer in time), `unreachable` (no connection), `error` (the connection broke), `circuit_open` (refused here,
 * nothing went out).
 */
export type RouteeOutcome =
  'ok' | 'client_error' | 'server_error' | 'timeout' | 'unreachable' | 'error' | 'circuit_open';
/** a webhook attempt: `delivered` (2xx), `failed` (retried later) or `dead` (the last attempt failed) */
export type WebhookOutcome = 'delivered' | 'failed' | 'dead';

/** what the scrape reads from Postgres and the circuit breakers (MetricsScrapeService in the gateway) */
export interface GaugeReadings {
  /** flows whose next check is past (counted up to GatewayMetrics.countCap) */
  dueFlows: number;
  /** how late the oldest due flow is, seconds (0: none due) */
  oldestDueSeconds: number;
  /** pending webhook events (counted up to GatewayMetrics.countCap) */
  webhookBacklog: number;
  /** per circuit (auth, viber, sms, voice): 1 open or half open, 0 closed */
  circuits: Record<string, 0 | 1>;
}

/**
 * The gateway's Prometheus metrics (CONTRACT section 12), one registry per
 * gateway instance (tests run several in one process). Labels are small fixed
 * sets: never a phone number, key or id. The hot path's increments go through
 * children bound once per label values (`child`), not a label object a call.
 * Counters are per process: Prometheus sums the replicas.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly flows = new Counter({
    name: 'otp_flows_total',
    help: 'Flows started, by surface (otp: /otp/send-failover, failover: POST /failover) and the status the answer reported',
    labelNames: ['api', 'status'] as const,
    registers: [this.registry],
  });
  private readonly messages = new Counter({
    name: 'otp_messages_total',
    help: 'Messages handed to Routee (Routee answered a trackingId), by channel and role (primary, failover)',
    labelNames: ['channel', 'role'] as const,
    registers: [this.registry],
  });
  private readonly failovers = new Counter({
    name: 'otp_failovers_total',
    help: 'Failover steps claimed for sending, by the reason (trigger, ttl_expired, expired_on_delivery, not_seen, send_error)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  private readonly verifications = new Counter({
    name: 'otp_verifications_total',
    help: 'POST /otp/verify answers, by status (approved, denied, expired, too_many_attempts, ...)',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  private readonly routeeRequests = new Counter({
    name: 'routee_requests_total',
    help: 'HTTP attempts at Routee (each retry counts), by endpoint and outcome',
    labelNames: ['endpoint', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly routeeDuration = new Histogram({
    name: 'routee_request_duration_seconds',
    help: 'Duration of one HTTP attempt at Routee (circuit refusals not included), by endpoint',
    labelNames: ['endpoint'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly timeToDeliver = new Histogram({
    name: 'otp_time_to_deliver_seconds',
    help: "From a step's send to Routee's first delivery status (Delivered, Sent, DELIVERED, SEEN), by channel",
    labelNames: ['channel'] as const,
    buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600],
    registers: [this.registry],
  });
  private readonly webhookDeliveries = new Counter({
    name: 'webhook_deliveries_total',
    help: 'Webhook POST attempts to integrators, by outcome (delivered, failed: retried later, dead: given up)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly dueFlows = this.stateGauge(
    'otp_flows_due',
    'Flows whose next check (poll, ttl, failover) is past and that no worker has taken yet (counted up to 1,000)',
    (r, g) => g.set(r.dueFlows),
  );
  private readonly oldestDue = this.stateGauge(
    'otp_worker_lag_seconds',
    'How long the oldest due flow has been waiting for the worker, seconds (0 when none is due)',
    (r, g) => g.set(r.oldestDueSeconds),
  );
  private readonly webhookBacklog = this.stateGauge(
    'webhook_backlog',
    'Webhook events waiting to go out, dead ones excepted (counted up to 1,000)',
    (r, g) => g.set(r.webhookBacklog),
  );
  private readonly circuitOpen = this.stateGauge(
    'routee_circuit_open',
    "1 while this process's circuit breaker for a part of Routee (auth, viber, sms, voice) is open or half open",
    (r, g) => {
      for (const [circuit, open] of Object.entries(r.circuits)) g.labels(circuit).set(open);
    },
    ['circuit'],
  );
  /** how the state gauges are read (readStateWith); none: they stay 0 */
  private readState: (() => Promise<GaugeReadings>) | undefined;
  /** the scrape's one reading, shared by the state gauges' collect() (the registry runs them together) */
  private reading: Promise<GaugeReadings | null> | undefined;

  private readonly flowChildren = new ChildCache((api, status) => this.flows.labels(api, status));
  private readonly messageChildren = new ChildCache((channel, role) => this.messages.labels(channel, role));
  private readonly failoverChildren = new ChildCache((reason) => this.failovers.labels(reason));
  private readonly verificationChildren = new ChildCache((status) => this.verifications.labels(status));
  private readonly routeeChildren = new ChildCache((endpoint, outcome) =>
    this.routeeRequests.labels(endpoint, outcome),
  );
  private readonly durationChildren = new ChildCache((endpoint) => this.routeeDuration.labels(endpoint));
  private readonly deliverChildren = new ChildCache((channel) => this.timeToDeliver.labels(channel));
  private readonly webhookChildren = new ChildCache((outcome) => this.webhookDeliveries.labels(outcome));

  /** the most the due-flows and backlog gauges count: that many is an incident whatever the exact figure, and it keeps the scrape cheap */
  static readonly countCap = 1000;

  /** what close() stops: the event loop monitor and the GC observer (native handles, a 10 ms timer) */
  private readonly stops: (() => void)[] = [];

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics === false) return;
    // the process's CPU, memory, handles, heap and GC (prom-client's standard names), collector by collector:
    // collectDefaultMetrics() also starts an event loop monitor and a GC observer that nothing can stop (a
    // gateway closed would leave them running); its event loop collector's mean and stddev also walk the whole
    // delay histogram, 1-2 ms of every scrape (of 2-5 in all). eventLoopLag() and gcDuration() below instead,
    // stopped by close().
    const config = {};
    for (const collector of [
      processCpuTotal,
      processStartTime,
      osMemoryHeap,
      processOpenFileDescriptors,
      processMaxFileDescriptors,
      ...(typeof process.getActiveResourcesInfo === 'function' ? [processResources] : []),
      processHandles,
      processRequests,
      heapSizeAndUsed,
      heapSpacesSizeAndUsed,
      version,
    ])
      collector(this.registry, config);
    this.stops.push(eventLoopLag(this.registry), gcDuration(this.registry));
  }

  /** stops the event loop monitor and the GC observer (their gauges stay, reading 0 / no new observations) */
  close(): void {
    for (const stop of this.stops.splice(0)) stop();
  }

  /** Nest's last shutdown hook (app.close()): MetricsModule's provider */
  onApplicationShutdown(): void {
    this.close();
  }

  flowStarted(api: FlowApi, status: string): void {
    this.flowChildren.get(api, status).inc();
  }

  messageSent(channel: string, role: string): void {
    this.messageChildren.get(channel, role).inc();
  }

  failoverClaimed(reason: string): void {
    this.failoverChildren.get(reason).inc();
  }

  verified(status: string): void {
    this.verificationChildren.get(status).inc();
  }

  /** one attempt at Routee; `seconds` null when it never went out (circuit_open) */
  routeeRequest(endpoint: RouteeEndpoint, outcome: RouteeOutcome, seconds: number | null): void {
    this.routeeChildren.get(endpoint, outcome).inc();
    if (seconds !== null) this.durationChildren.get(endpoint).observe(seconds);
  }

  delivered(channel: string, seconds: number): void {
    this.deliverChildren.get(channel).observe(Math.max(0, seconds));
  }

  webhookDelivery(outcome: WebhookOutcome): void {
    this.webhookChildren.get(outcome).inc();
  }

  /**
   * How the state gauges are read at each scrape. The read runs while the
   * registry collects the other metrics (one read a scrape, however many
   * gauges). A failed read leaves them NaN for that scrape: the counters are
   * still answered.
   */
  readStateWith(read: () => Promise<GaugeReadings>): void {
    this.readState = read;
  }

  /** the Prometheus text exposition */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** a gauge set from the scrape's reading (NaN when it failed) */
  private stateGauge(
    name: string,
    help: string,
    set: (readings: GaugeReadings, gauge: Gauge) => void,
    labelNames: string[] = [],
  ): Gauge {
    const readings = () => this.readings();
    return new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        const read = await readings();
        if (read) set(read, this);
        else if (labelNames.length === 0) this.set(NaN);
        else this.reset();
      },
    });
  }

  private readings(): Promise<GaugeReadings | null> {
    const read = this.readState;
    if (!read) return Promise.resolve(null);
    this.reading ??= read()
      .catch(() => null)
      .finally(() => {
        this.reading = undefined;
      });
    return this.reading;
  }
}

/**
 * nodejs_eventloop_lag_{p50,p99,max}_seconds, prom-client's names, since the previous scrape: percentiles
 * of the delay histogram are read in microseconds (its mean and stddev, left out, are not).
 */
function eventLoopLag(registry: Registry): () => void {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const lag = (name: string, help: string, read: () => number, reset = false) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read() / 1e9);
        if (reset) delay.reset();
      },
    });
  lag('nodejs_eventloop_lag_p50_seconds', 'The 50th percentile of the recorded event loop delays.', () =>
    delay.percentile(50),
  );
  lag('nodejs_eventloop_lag_p99_seconds', 'The 99th percentile of the recorded event loop delays.', () =>
    delay.percentile(99),
  );
  // registered last: its collect() runs after the others' and starts the next interval
  lag('nodejs_eventloop_lag_max_seconds', 'The maximum recorded event loop delay.', () => delay.max, true);
  return () => {
    delay.disable();
    delay.reset();
  };
}

/** nodejs_gc_duration_seconds, prom-client's name, kinds and buckets; the observer is disconnected by the returned stop */
function gcDuration(registry: Registry): () => void {
  const kinds: Record<number, string> = {
    [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
    [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
    [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
  };
  const gc = new Histogram({
    name: 'nodejs_gc_duration_seconds',
    help: 'Garbage collection duration by kind, one of major, minor, incremental or weakcb.',
    labelNames: ['kind'],
    buckets: [0.001, 0.01, 0.1, 1, 2, 5],
    registers: [registry],
  });
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = kinds[(entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? -1];
      if (kind) gc.labels(kind).observe(entry.duration / 1000);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => observer.disconnect();
}

/**
 * A metric's children by label values, each bound once: prom-client's `inc({...})` hashes a label object on
 * every call, this looks two strings up in nested maps.
 */
class ChildCache<C> {
  private readonly byFirst = new Map<string, Map<string, C>>();

  constructor(private readonly bind: (first: string, second: string) => C) {}

  get(first: string, second = ''): C {
    let inner = this.byFirst.get(first);
    if (!inner) this.byFirst.set(first, (inner = new Map()));
    let child = inner.get(second);
    if (!child) inner.set(second, (child = this.bind(first, second)));
    return child;
  }
}
