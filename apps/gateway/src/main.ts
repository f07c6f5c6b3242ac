import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, loadGatewayConfig } from '@app/config';
import { EmbeddedPostgresMissingError } from '@app/persistence';
import { startGateway } from './gateway';

async function main(): Promise<void> {
  let config;
  try {
    config = loadGatewayConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`configuration error: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  const gateway = await startGateway(config, { listen: true, devKey: true });
  const lines = [
    '',
    `  OTP failover gateway listening on ${gateway.url}`,
    `  Swagger UI:  ${gateway.url}/docs`,
    gateway.devKey ? `  Dev API key: ${gateway.devKey}` : '  API keys: GATEWAY_API_KEYS or `npm run keys -- list`',
    gateway.sandbox
      ? `  Routee:      built-in sandbox at ${gateway.sandbox.url} (set ROUTEE_APP_ID/ROUTEE_APP_SECRET for the real one)`
      : `  Routee:      ${config.routee.apiUrl}`,
    '',
  ];
  if (config.logFormat === 'json') {
    // one JSON line like the others (written as is: the dev key is printed for the operator, the redactor would cut it)
    const banner = lines.filter((line) => line.trim()).map((line) => line.trim());
    console.log(
      JSON.stringify({ time: new Date().toISOString(), level: 'log', context: 'Gateway', message: banner.join('; ') }),
    );
  } else {
    console.log(lines.join('\n'));
  }
  const log = new Logger('Shutdown');
  let stopping = false;
  // SIGTERM (the orchestrator) or SIGINT (Ctrl-C): readiness 503, the requests in flight answered, the worker
  // stopped, then the pool and the embedded Postgres closed (docs/operations.md, "Shutdown"); a second signal
  // does not wait
  const shutdown = (signal: string) => {
    if (stopping) {
      log.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    log.log(`${signal}: shutting down`);
    gateway
      .close()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        log.error(`shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err) => {
  // the missing embedded Postgres says itself what to do; a prefix would only bury it
  console.error(
    err instanceof EmbeddedPostgresMissingError
      ? err.message
      : `gateway failed to start: ${err instanceof Error ? err.message : String(err)}`,
  );
  process.exit(1);
});
