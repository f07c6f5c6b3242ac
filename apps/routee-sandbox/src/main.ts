import { startSandbox } from './sandbox';

/** Standalone Routee sandbox: `node dist/apps/routee-sandbox/src/main.js`. */

/** machine-readable line a parent process waits for (see testing/spawn-sandbox.ts) */
export const READY_MARKER = 'ROUTEE_SANDBOX_READY ';

function envNumber(name: string, fallback?: number): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`${name} must be a non-negative integer, got "${raw}"`);
    process.exit(1);
  }
  return n;
}

async function main(): Promise<void> {
  const sandbox = await startSandbox({
    port: envNumber('SANDBOX_PORT', 3001),
    host: process.env.SANDBOX_HOST || undefined,
    appId: process.env.SANDBOX_APP_ID || undefined,
    appSecret: process.env.SANDBOX_APP_SECRET || undefined,
    tokenTtlSec: envNumber('SANDBOX_TOKEN_TTL_SEC'),
    latencyMs: envNumber('SANDBOX_LATENCY_MS'),
    statusDelayMs: envNumber('SANDBOX_STATUS_DELAY_MS'),
    seenDelayMs: envNumber('SANDBOX_SEEN_DELAY_MS'),
    viberCallbackUrl: process.env.SANDBOX_VIBER_CALLBACK_URL || undefined,
    logger: process.env.SANDBOX_LOGGER === '1' || process.env.SANDBOX_LOGGER === 'true',
  });
  console.log(`Routee sandbox listening on ${sandbox.url}`);
  console.log(`  ROUTEE_AUTH_URL=${sandbox.url} ROUTEE_API_URL=${sandbox.url}`);
  console.log(`  ROUTEE_APP_ID=${sandbox.appId} ROUTEE_APP_SECRET=${sandbox.appSecret}`);
  console.log(
    READY_MARKER +
      JSON.stringify({ url: sandbox.url, port: sandbox.port, appId: sandbox.appId, appSecret: sandbox.appSecret }),
  );
  const stop = () => {
    sandbox.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (typeof require !== 'undefined' && require.main === module) {
  main().catch((err: unknown) => {
    console.error('Routee sandbox failed to start:', err);
    process.exit(1);
  });
}
