import request from 'supertest';
import { Client } from 'pg';
import { loadGatewayConfig } from '@app/config';
import { ROLLUP_LOCK } from '@app/persistence';
import { startSandbox, type RunningSandbox, type SandboxOptions } from '@app/routee-sandbox/sandbox';
import { startGateway, type RunningGateway, type StartOptions } from '../../apps/gateway/src/gateway';

export const TEST_KEY = 'test-key-0123456789abcdef';
export const AUTH = { Authorization: `Bearer ${TEST_KEY}` };
/** replicas share CODE_SECRET: a code one sealed, another opens for the failover */
export const TEST_CODE_SECRET = 'test-code-secret-0123456789abcdef0123456789';

/** the gateway's Routee settings for a sandbox: its app credentials, and its URL for both the OAuth server and the API */
export function routeeEnvOf(sandbox: { appId: string; appSecret: string; url: string }): Record<string, string> {
  return {
    ROUTEE_APP_ID: sandbox.appId,
    ROUTEE_APP_SECRET: sandbox.appSecret,
    ROUTEE_AUTH_URL: sandbox.url,
    ROUTEE_API_URL: sandbox.url,
  };
}

export interface TestGateway {
  gateway: RunningGateway;
  sandbox: RunningSandbox;
  http: ReturnType<typeof request>;
  db: Client;
  close(): Promise<void>;
}

/**
 * The real gateway on the test Postgres (fresh tables), talking real HTTP to a
 * Routee sandbox started for the suite.
 */
export async function startTestGateway(
  opts: {
    env?: Record<string, string>;
    sandbox?: SandboxOptions;
    logger?: StartOptions['logger'];
    /** with `logger` set to levels: the formatted lines (LOG_FORMAT) go here */
    logOutput?: StartOptions['logOutput'];
  } = {},
): Promise<TestGateway> {
  const sandbox = await startSandbox({ port: 0, statusDelayMs: 200, ...opts.sandbox });
  const config = loadGatewayConfig({
    DATABASE_URL: process.env.TEST_DATABASE_URL,
    GATEWAY_API_KEYS: TEST_KEY,
    CODE_SECRET: TEST_CODE_SECRET,
    ...routeeEnvOf(sandbox),
    ROUTEE_REQUEST_TIMEOUT_MS: '2000',
    // the suites send many flows to a few numbers; the limit itself is tested in abuse-limits.e2e-spec.ts
    PHONE_RATE_LIMIT: '0',
    // the sandbox's scripted 503s (numbers ending 07) refuse one request, they are no outage: the circuit
    // breakers stay out of the suites that use them (reliability-routee.e2e-spec.ts sets its own threshold)
    ROUTEE_CIRCUIT_THRESHOLD: '1000',
    ...opts.env,
  });
  // emptied before the gateway starts: its worker would otherwise pick up what an earlier suite left due
  // (on the first suite's first start the tables do not exist yet; the gateway's migrations create them)
  const db = new Client({ connectionString: process.env.TEST_DATABASE_URL });
  await db.connect();
  if ((await db.query(`SELECT to_regclass('flows') AS t`)).rows[0].t) await resetTables(db);
  const gateway = await startGateway(config, { logger: opts.logger ?? false, logOutput: opts.logOutput });
  await gateway.app.getHttpAdapter().getInstance().ready();
  return {
    gateway,
    sandbox,
    http: request(gateway.app.getHttpServer()),
    db,
    close: async () => {
      await db.end();
      await gateway.close();
      await sandbox.close();
    },
  };
}

export async function resetTables(db: Client): Promise<void> {
  // the stats rollup too: a suite with the worker on rolls up the hours a later suite writes its fixtures into.
  // One transaction under the rollup's lock: a running gateway's rollup locks the stats tables in another order
  const stats = (await db.query(`SELECT to_regclass('stats_rollup') AS t`)).rows[0].t;
  await db.query('BEGIN');
  try {
    if (stats) await db.query('SELECT pg_advisory_xact_lock($1)', [ROLLUP_LOCK]);
    await db.query(
      `TRUNCATE flows, steps, idempotency_records, api_keys, webhook_events${stats ? ', stats_hours, stats_days, stats_rollup' : ''} CASCADE`,
    );
    await db.query('COMMIT');
  } catch (err) {
    await db.query('ROLLBACK');
    throw err;
  }
}
