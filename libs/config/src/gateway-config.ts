import { randomBytes } from 'node:crypto';

/** Bad configuration: one line naming the variable. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

export interface GatewayConfig {
  port: number;
  /** unset → embedded Postgres under dataDir */
  databaseUrl?: string;
  dataDir: string;
  /** keys accepted besides those in the database */
  apiKeys: string[];
  routee: {
    authUrl: string;
    apiUrl: string;
    appId?: string;
    appSecret?: string;
    connectTimeoutMs: number;
    requestTimeoutMs: number;
    /** ROUTEE_CIRCUIT_THRESHOLD: failed attempts in a row that open the circuit breaker */
    circuitThreshold: number;
    /** ROUTEE_CIRCUIT_OPEN_MS: how long the circuit stays open before one probe goes out */
    circuitOpenMs: number;
    /** ROUTEE_OUTAGE_QUEUE_MS: how long a send refused by the open circuit is kept queued before the step fails (statusCode 0) */
    outageQueueMs: number;
  };
  /** true when no Routee credentials are set: the built-in sandbox is started and used */
  sandboxMode: boolean;
  /** abuse limits (docs/operations.md, "Abuse limits") */
  limits: {
    /** PHONE_RATE_LIMIT: new flows per destination number in the window (0: off); checked in Postgres, so across replicas */
    phoneRateLimit: number;
    /** PHONE_RATE_WINDOW_SEC */
    phoneRateWindowSec: number;
    /** KEY_RATE_LIMIT_PER_MIN: requests per minute per API key, per replica (0: off) */
    keyRatePerMin: number;
    /** ALLOWED_COUNTRY_CODES: E.164 calling-code prefixes a destination must start with (empty: any) */
    allowedCountryCodes: string[];
  };
  /** the pumping guard (docs/operations.md, "Pumping guard"): blocks a destination prefix whose flows are not verified */
  pumping: {
    /** PUMPING_GUARD: on (default off) */
    enabled: boolean;
    /** PUMPING_MIN_FLOWS: how many of a prefix's latest flows (of the last hour) are counted; fewer never block */
    minFlows: number;
    /** PUMPING_MIN_CONVERSION: approved / flows under which the prefix is blocked (0 to 1) */
    minConversion: number;
    /** PUMPING_BLOCK_SEC: how long a block lasts */
    blockSec: number;
    /** PUMPING_SETTLE_SEC: flows younger than this have not had the time to be verified and are not counted yet */
    settleSec: number;
  };
  publicUrl?: string;
  callbackToken: string;
  /** false: ROUTEE_CALLBACK_TOKEN is unset and the token was generated for this start */
  callbackTokenSet: boolean;
  /** METRICS_TOKEN: GET /metrics asks for `Authorization: Bearer <token>` when set (README, "Metrics"); unset: open */
  metricsToken?: string;
  refreshIntervalMs: number;
  /** WORKER_ENABLED: run the scheduled failover worker in this process (tests that drive flows by hand turn it off) */
  workerEnabled: boolean;
  /** SEND_CLAIM_MS: how long a claimed send may go without a heartbeat before another replica takes it over */
  sendClaimMs: number;
  /** POST /otp/send-failover's Idempotency-Key (README "Sending") */
  idempotency: {
    /** IDEMPOTENCY_CLAIM_MS: a key whose first request has not answered after this long is taken over by a retry (that request died) */
    claimMs: number;
    /** IDEMPOTENCY_WAIT_MS: how long a repeat waits for a first request still running before it is a 409 */
    waitMs: number;
  };
  /** code verification (README, "Verifying the code") */
  verification: {
    /** CODE_SECRET: the HMAC key of the codes; unset: generated once and kept in DATA_DIR/code-secret (resolveCodeSecret) */
    codeSecret?: string;
    /** VERIFY_MAX_ATTEMPTS: code checks per flow */
    maxAttempts: number;
    /** CODE_TTL_SEC: how long a code may be checked, from the send, when the request does not say */
    codeTtlSec: number;
  };
  /** retention (docs/operations.md, "Retention"), run by the worker */
  retention: {
    /** RETENTION_SECRETS_HOURS: a final flow's pin, code hash and message bodies are erased this long after its last change */
    secretsHours: number;
    /** RETENTION_DAYS: flows created longer ago than this are deleted, with every row of theirs; unset: kept */
    days?: number;
    /** RETENTION_INTERVAL_MS: how often the worker runs retention */
    intervalMs: number;
    /** RETENTION_BATCH_SIZE: flows per statement (each a short transaction of its own) */
    batchSize: number;
  };
  webhooks: {
    /**
     * WEBHOOK_SECRET: the signing secrets, comma-separated (several while one is rotated; empty: unsigned).
     * Each signs webhook-signature (`whsec_<base64>`: the decoded bytes are the key; otherwise the string's
     * UTF-8 bytes) and the legacy X-Webhook-Signature (one v1= entry each). A comma always separates two secrets
     * (docs/operations.md, "Upgrading": a former single secret with a comma must be replaced)
     */
    secrets: string[];
    /** WEBHOOK_ALLOW_PRIVATE: deliver to private/loopback addresses (default: true in sandbox mode only) */
    allowPrivate: boolean;
    /** WEBHOOK_MAX_ATTEMPTS: attempts before an event is dead */
    maxAttempts: number;
    /** WEBHOOK_TIMEOUT_MS: per-request timeout */
    timeoutMs: number;
    /** WEBHOOK_BACKOFF_BASE_MS / WEBHOOK_BACKOFF_MAX_MS: retry delays, doubling from base up to max, with jitter */
    backoffBaseMs: number;
    backoffMaxMs: number;
    /** WEBHOOK_POLL_MS: how often the outbox is polled for due retries */
    pollMs: number;
  };
  /** LOG_FORMAT: one JSON object a line, or lines for a terminal (docs/operations.md, "Logs") */
  logFormat: LogFormat;
  /** graceful shutdown on SIGTERM/SIGINT (docs/operations.md, "Shutdown") */
  shutdown: {
    /** SHUTDOWN_GRACE_MS: readiness answers 503 this long before new requests are refused, so a load balancer sees it first */
    graceMs: number;
    /** SHUTDOWN_TIMEOUT_MS: the longest the requests in flight are waited for before the process closes anyway */
    timeoutMs: number;
  };
}

export type LogFormat = 'json' | 'pretty';

type Env = Record<string, string | undefined>;

/** Reads and validates the environment (README, "Configuration"). Throws ConfigError. */
export function loadGatewayConfig(env: Env = process.env): GatewayConfig {
  const appId = optional(env, 'ROUTEE_APP_ID');
  const appSecret = optional(env, 'ROUTEE_APP_SECRET');
  if (appId && !appSecret) throw new ConfigError('ROUTEE_APP_SECRET', 'must be set when ROUTEE_APP_ID is set');
  if (appSecret && !appId) throw new ConfigError('ROUTEE_APP_ID', 'must be set when ROUTEE_APP_SECRET is set');

  const databaseUrl = optional(env, 'DATABASE_URL');
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL', 'must be a postgres:// or postgresql:// URL');
  }
  const callbackToken = optional(env, 'ROUTEE_CALLBACK_TOKEN') ?? randomBytes(24).toString('base64url');
  if (callbackToken.length < 16) throw new ConfigError('ROUTEE_CALLBACK_TOKEN', 'must be at least 16 characters');

  const metricsToken = optional(env, 'METRICS_TOKEN');
  if (metricsToken !== undefined && (metricsToken.length < 16 || /\s/.test(metricsToken)))
    throw new ConfigError('METRICS_TOKEN', 'must be at least 16 characters, without whitespace');

  const codeSecret = optional(env, 'CODE_SECRET');
  if (codeSecret !== undefined && codeSecret.length < 32)
    throw new ConfigError('CODE_SECRET', 'must be at least 32 characters');

  const connectTimeoutMs = integer(env, 'ROUTEE_CONNECT_TIMEOUT_MS', 2000, 1, 60000);
  const requestTimeoutMs = integer(env, 'ROUTEE_REQUEST_TIMEOUT_MS', 5000, 1, 120000);
  const sendClaimMs = integer(env, 'SEND_CLAIM_MS', 15_000, 1000, 600_000);

  return {
    port: integer(env, 'PORT', 3000, 0, 65535),
    databaseUrl,
    dataDir: optional(env, 'DATA_DIR') ?? '.data',
    apiKeys: (optional(env, 'GATEWAY_API_KEYS') ?? '')
      .split(',')
      .map((k) => k.trim())
      .filter((k) => k.length > 0),
    routee: {
      authUrl: url(env, 'ROUTEE_AUTH_URL', 'https://auth.routee.net'),
      apiUrl: url(env, 'ROUTEE_API_URL', 'https://connect.routee.net'),
      appId,
      appSecret,
      connectTimeoutMs,
      requestTimeoutMs,
      circuitThreshold: integer(env, 'ROUTEE_CIRCUIT_THRESHOLD', 5, 1, 1000),
      circuitOpenMs: integer(env, 'ROUTEE_CIRCUIT_OPEN_MS', 10_000, 100, 600_000),
      outageQueueMs: integer(env, 'ROUTEE_OUTAGE_QUEUE_MS', 120_000, 0, 86_400_000),
    },
    sandboxMode: !appId,
    limits: {
      phoneRateLimit: integer(env, 'PHONE_RATE_LIMIT', 5, 0, 1_000_000),
      phoneRateWindowSec: integer(env, 'PHONE_RATE_WINDOW_SEC', 600, 1, 7 * 86_400),
      keyRatePerMin: integer(env, 'KEY_RATE_LIMIT_PER_MIN', 0, 0, 1_000_000),
      allowedCountryCodes: countryCodes(env, 'ALLOWED_COUNTRY_CODES'),
    },
    pumping: {
      enabled: boolean(env, 'PUMPING_GUARD', false),
      minFlows: integer(env, 'PUMPING_MIN_FLOWS', 50, 1, 10_000),
      minConversion: fraction(env, 'PUMPING_MIN_CONVERSION', 0.2),
      blockSec: integer(env, 'PUMPING_BLOCK_SEC', 3600, 1, 30 * 86_400),
      settleSec: integer(env, 'PUMPING_SETTLE_SEC', 300, 0, 3000),
    },
    publicUrl: optional(env, 'PUBLIC_URL') && url(env, 'PUBLIC_URL', ''),
    callbackToken,
    callbackTokenSet: optional(env, 'ROUTEE_CALLBACK_TOKEN') !== undefined,
    metricsToken,
    refreshIntervalMs: integer(env, 'REFRESH_INTERVAL_MS', 2000, 50, 3_600_000),
    workerEnabled: boolean(env, 'WORKER_ENABLED', true),
    sendClaimMs,
    verification: {
      codeSecret,
      maxAttempts: integer(env, 'VERIFY_MAX_ATTEMPTS', 5, 1, 100),
      codeTtlSec: integer(env, 'CODE_TTL_SEC', 600, 30, 86_400),
    },
    idempotency: {
      claimMs: integer(
        env,
        'IDEMPOTENCY_CLAIM_MS',
        Math.max(120_000, longestSendMs(connectTimeoutMs, requestTimeoutMs, sendClaimMs)),
        1000,
        3_600_000,
      ),
      waitMs: integer(env, 'IDEMPOTENCY_WAIT_MS', 10_000, 0, 600_000),
    },
    retention: {
      secretsHours: integer(env, 'RETENTION_SECRETS_HOURS', 24, 0, 87_600),
      days: optional(env, 'RETENTION_DAYS') === undefined ? undefined : integer(env, 'RETENTION_DAYS', 0, 1, 36_500),
      intervalMs: integer(env, 'RETENTION_INTERVAL_MS', 300_000, 100, 86_400_000),
      batchSize: integer(env, 'RETENTION_BATCH_SIZE', 1000, 1, 10_000),
    },
    webhooks: {
      secrets: webhookSecrets(env, 'WEBHOOK_SECRET'),
      allowPrivate: boolean(env, 'WEBHOOK_ALLOW_PRIVATE', !appId),
      maxAttempts: integer(env, 'WEBHOOK_MAX_ATTEMPTS', 10, 1, 100),
      timeoutMs: integer(env, 'WEBHOOK_TIMEOUT_MS', 5000, 100, 60_000),
      backoffBaseMs: integer(env, 'WEBHOOK_BACKOFF_BASE_MS', 1000, 10, 3_600_000),
      backoffMaxMs: integer(env, 'WEBHOOK_BACKOFF_MAX_MS', 300_000, 10, 86_400_000),
      pollMs: integer(env, 'WEBHOOK_POLL_MS', 500, 20, 60_000),
    },
    logFormat: oneOf(env, 'LOG_FORMAT', ['json', 'pretty'], env.NODE_ENV === 'production' ? 'json' : 'pretty'),
    shutdown: {
      graceMs: integer(env, 'SHUTDOWN_GRACE_MS', 0, 0, 600_000),
      timeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 30_000, 0, 3_600_000),
    },
  };
}

/**
 * The longest POST /otp/send-failover can run once it has claimed its
 * Idempotency-Key: the primary and the failover sent at once after it, each a
 * token request and a send, each up to 3 attempts (the Routee client retries
 * connect failures and 502/503/504 twice) of a connect plus a response
 * timeout; then each answer's write, retried for half SEND_CLAIM_MS (10 s at
 * most) while Postgres is away. With the defaults 2 × 2 × 3 × 7 s + 2 × 7.5 s
 * = 99 s, so IDEMPOTENCY_CLAIM_MS defaults to 2 minutes, and grows with the
 * timeouts. Set lower, a retry may take over a request that is only slow: it
 * then answers from the flow that request created (or starts it, and the
 * slow one fails on the flow's primary key); still one flow a key.
 */
function longestSendMs(connectTimeoutMs: number, requestTimeoutMs: number, sendClaimMs: number): number {
  const routeeCallMs = 3 * (connectTimeoutMs + requestTimeoutMs);
  return 2 * 2 * routeeCallMs + 2 * Math.min(sendClaimMs / 2, 10_000);
}

function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

/** a decimal from 0 to 1 ("0.2", ".25", "1") */
function fraction(env: Env, name: string, fallback: number): number {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  if (!/^(?:\d+(?:\.\d*)?|\.\d+)$/.test(raw)) throw new ConfigError(name, `must be a decimal number, got "${raw}"`);
  const value = Number(raw);
  if (value < 0 || value > 1) throw new ConfigError(name, `must be between 0 and 1, got ${value}`);
  return value;
}

/** "30, +357" → ['30', '357']: E.164 calling-code prefixes (1 to 6 digits, a leading + is allowed) */
function countryCodes(env: Env, name: string): string[] {
  const raw = optional(env, name);
  if (raw === undefined) return [];
  return raw.split(',').map((part) => {
    const code = part.trim().replace(/^\+/, '');
    if (!/^[1-9]\d{0,5}$/.test(code))
      throw new ConfigError(name, `must be comma-separated calling codes such as 30,357, got "${part.trim()}"`);
    return code;
  });
}

/**
 * "whsec_<base64>,another-secret" → each secret, checked; an error never quotes a secret, it names its position.
 * A `whsec_` secret is Standard Webhooks' base64 form, 24 to 64 bytes once decoded (the standard's bounds);
 * any other is used as it is and must be at least 16 characters.
 */
function webhookSecrets(env: Env, name: string): string[] {
  const raw = optional(env, name);
  if (raw === undefined) return [];
  const secrets = raw.split(',').map((s) => s.trim());
  if (secrets.length > 10) throw new ConfigError(name, `at most 10 comma-separated secrets, got ${secrets.length}`);
  secrets.forEach((secret, i) => {
    const which = secrets.length > 1 ? `secret ${i + 1} of ${secrets.length}` : 'the secret';
    if (secret === '') throw new ConfigError(name, `${which} is empty (secrets are comma-separated)`);
    if (/\s/.test(secret)) throw new ConfigError(name, `${which} contains whitespace`);
    if (secret.startsWith('whsec_')) {
      const b64 = secret.slice('whsec_'.length);
      const bytes = Buffer.from(b64, 'base64').length;
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0)
        throw new ConfigError(name, `${which} starts with whsec_ but what follows is not base64`);
      if (bytes < 24 || bytes > 64)
        throw new ConfigError(name, `${which} (whsec_) must decode to 24 to 64 bytes, got ${bytes}`);
    } else if (secret.length < 16) {
      throw new ConfigError(name, `${which} must be at least 16 characters (or whsec_<base64>)`);
    }
    if (secrets.indexOf(secret) !== i) throw new ConfigError(name, `${which} repeats an earlier one`);
  });
  return secrets;
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const raw = optional(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if ((values as readonly string[]).includes(raw)) return raw as T;
  throw new ConfigError(name, `must be ${values.join(' or ')}, got "${raw}"`);
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = optional(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['true', '1', 'yes', 'on'].includes(raw)) return true;
  if (['false', '0', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function url(env: Env, name: string, fallback: string): string {
  const raw = optional(env, name) ?? fallback;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `must be an http(s) URL, got "${raw}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError(name, `must be an http(s) URL, got "${raw}"`);
  }
  return raw.replace(/\/+$/, '');
}
