import { spawn, type ChildProcess } from 'node:child_process';

export interface GatewayProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** the last lines it printed (for failure messages) */
  output(): string;
  /** SIGKILL: no shutdown hook runs, as in a crash */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs` */
  stop(graceMs?: number): Promise<void>;
}

const START_TIMEOUT_MS = 60_000;
const KEEP_OUTPUT = 20_000;

/**
 * The real gateway (apps/gateway/src/main.ts, run by ts-node as `npm start`
 * would run the build) in a child process, configured by `env` on top of the
 * test's environment. Resolves once it listens.
 */
export function spawnGateway(port: number, env: Record<string, string>): Promise<GatewayProcess> {
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/gateway/src/main.ts'],
    {
      env: { ...process.env, TS_NODE_PROJECT: 'tsconfig.json', PORT: String(port), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  const keep = (chunk: Buffer) => {
    out = (out + chunk.toString()).slice(-KEEP_OUTPUT);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  const proc: GatewayProcess = {
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    output: () => out,
    kill: async () => {
      if (!gone()) child.kill('SIGKILL');
      await exited;
    },
    stop: async (graceMs = 3000) => {
      if (gone()) return;
      const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(force);
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gateway on port ${port} did not start within ${START_TIMEOUT_MS} ms:\n${out}`));
    }, START_TIMEOUT_MS);
    const onData = () => {
      if (out.includes('gateway listening on')) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(proc);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway on port ${port} exited with ${code} before it listened:\n${out}`));
    });
  });
}
