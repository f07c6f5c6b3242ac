import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../../libs/persistence/src/embedded-database';

declare global {
  var __EMBEDDED_DB__: EmbeddedDatabase | undefined;
}

/**
 * One Postgres for the whole run: `DATABASE_URL` when set, else an embedded
 * cluster on a free port in a fresh temp dir. Workers inherit `TEST_DATABASE_URL`.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.DATABASE_URL) {
    process.env.TEST_DATABASE_URL = process.env.DATABASE_URL;
    return;
  }
  const db = await startEmbeddedDatabase({
    dataDir: join(tmpdir(), `otp-gateway-test-${process.pid}-${Date.now()}`),
    ephemeral: true,
    database: 'gateway_test',
  });
  globalThis.__EMBEDDED_DB__ = db;
  process.env.TEST_DATABASE_URL = db.url;
}
