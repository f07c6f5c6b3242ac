import 'reflect-metadata';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { ConfigError, loadGatewayConfig } from '@app/config';
import {
  ApiKeyStore,
  dataSourceOptions,
  EmbeddedPostgresMissingError,
  generateKey,
  hashKey,
  keyPrefix,
  PumpingStore,
  startEmbeddedDatabase,
  type PumpingBlock,
} from '@app/persistence';

const USAGE = `usage: npm run keys -- create <name> | list | revoke <id> | blocks [--all] | unblock <prefix>`;

/**
 * API key administration, and the pumping guard's blocks (list, lift). Talks to DATABASE_URL, or to the embedded Postgres
 * under DATA_DIR (.data): the running gateway's, or one started for the call.
 */
async function main(argv: string[]): Promise<number> {
  const [group, command, arg] = argv;
  if (group !== 'keys' || !command) return usage();
  const config = loadGatewayConfig();
  const db = config.databaseUrl
    ? undefined
    : await startEmbeddedDatabase({ dataDir: join(config.dataDir, 'postgres'), port: 0, attachIfRunning: true });
  const dataSource = new DataSource({
    ...dataSourceOptions(config.databaseUrl ?? db!.url, { poolSize: 1, applicationName: 'otp-gateway-cli' }),
  });
  await dataSource.initialize();
  try {
    await dataSource.runMigrations();
    const store = new ApiKeyStore(dataSource);
    switch (command) {
      case 'create': {
        const name = (arg ?? '').trim();
        if (!name || name.length > 100) return usage('create needs a name of 1 to 100 characters');
        const key = generateKey();
        const record = await store.insert(name, hashKey(key), keyPrefix(key));
        console.log(`created key ${record.id} "${record.name}"\n\n  ${key}\n\nShown once; only its hash is stored.`);
        return 0;
      }
      case 'list': {
        const keys = await store.list();
        if (keys.length === 0) console.log('no keys');
        for (const k of keys) {
          console.log(
            `${k.id}  ${k.keyPrefix}…  ${k.name}  created ${k.createdAt.toISOString()}${k.revokedAt ? `  REVOKED ${k.revokedAt.toISOString()}` : ''}`,
          );
        }
        return 0;
      }
      case 'revoke': {
        if (!arg) return usage('revoke needs the key id (see list)');
        if (!(await store.revoke(arg))) {
          console.error(`no active key with id ${arg}`);
          return 1;
        }
        console.log(`revoked ${arg} (running gateways stop accepting it within 5 s)`);
        return 0;
      }
      case 'blocks': {
        if (arg !== undefined && arg !== '--all') return usage(`blocks takes --all or nothing, got "${arg}"`);
        const blocks = await new PumpingStore(dataSource).list(arg === '--all');
        if (blocks.length === 0) console.log(arg ? 'no blocks' : 'no blocks in force');
        for (const b of blocks) console.log(describeBlock(b));
        return 0;
      }
      case 'unblock': {
        const prefix = (arg ?? '').replace(/^\+/, '');
        if (!/^[1-9]\d{2,4}$/.test(prefix)) return usage('unblock needs a prefix of 3 to 5 digits (see blocks)');
        const lifted = await new PumpingStore(dataSource).lift(prefix);
        if (!lifted) {
          console.error(`no block in force on +${prefix}`);
          return 1;
        }
        console.log(`lifted the block on +${prefix}: sends to it go through at once, on every gateway`);
        return 0;
      }
      default:
        return usage(`unknown command "${command}"`);
    }
  } finally {
    await dataSource.destroy();
    await db?.stop();
  }
}

function describeBlock(b: PumpingBlock): string {
  const state = b.liftedAt
    ? `LIFTED ${b.liftedAt.toISOString()}`
    : b.until.getTime() > Date.now()
      ? 'IN FORCE'
      : 'ENDED';
  return `+${b.prefix}  blocked ${b.blockedAt.toISOString()}  until ${b.until.toISOString()}  ${b.approved} of ${b.flows} flows approved (conversion ${b.conversion.toFixed(3)})  ${state}`;
}

function usage(problem?: string): number {
  if (problem) console.error(problem);
  console.error(USAGE);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(
      err instanceof ConfigError
        ? `configuration error: ${err.message}`
        : err instanceof EmbeddedPostgresMissingError
          ? err.message
          : `keys: ${err instanceof Error ? err.message : String(err)}`,
    );
    process.exit(1);
  },
);
