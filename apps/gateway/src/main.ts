import 'reflect-metadata';
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
  console.log(lines.join('\n'));
  const shutdown = async (signal: string) => {
    console.log(`${signal}: shutting down`);
    await gateway.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
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
