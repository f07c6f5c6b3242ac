import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { SandboxAttempt, SandboxSend } from '../message.service';
import type { SandboxFaultSettings } from '../sandbox-faults.service';
import type { SandboxStats } from '../sandbox-state.service';
import type { SandboxOptions } from '../sandbox.options';

/**
 * Runs the sandbox in a child process and steers it through its /_sandbox
 * routes. Jest needs this: Nest 12 ships ESM only, which jest's CommonJS
 * runtime cannot load on Node < 24.9 (plain Node >= 20.19 can, so startSandbox()
 * works in-process everywhere else). Nothing here imports Nest.
 */
export interface SpawnedSandbox {
  url: string;
  port: number;
  appId: string;
  appSecret: string;
  stats(): Promise<SandboxStats>;
  reset(): Promise<void>;
  revokeTokens(): Promise<void>;
  setFaults(faults: SandboxFaultSettings): Promise<void>;
  /** the application's Viber callback URL, as set in Routee's portal (undefined clears it) */
  setViberCallbackUrl(url: string | undefined): Promise<void>;
  close(): Promise<void>;
}

export type { SandboxAttempt, SandboxSend, SandboxStats, SandboxFaultSettings };

const READY_MARKER = 'ROUTEE_SANDBOX_READY ';
const START_TIMEOUT_MS = 15_000;

/**
 * This file's folder. Under jest's ESM mode there is no __dirname (and
 * import.meta does not compile to CommonJS), so fall back to the repo layout
 * seen from jest's rootDir.
 */
function ownDir(): { dir: string; fromSource: boolean } {
  if (typeof __dirname !== 'undefined') return { dir: __dirname, fromSource: __filename.endsWith('.ts') };
  return { dir: join(process.cwd(), 'apps', 'routee-sandbox', 'src', 'testing'), fromSource: true };
}

export async function spawnSandbox(options: Omit<SandboxOptions, 'logger'> = {}): Promise<SpawnedSandbox> {
  const { dir, fromSource } = ownDir();
  const main = join(dir, '..', fromSource ? 'main.ts' : 'main.js');
  // from source the @app/* aliases are resolved by tsconfig-paths (the build rewrites them to relative paths)
  const args = fromSource ? ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', main] : [main];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SANDBOX_PORT: String(options.port ?? 0),
    ...(options.host ? { SANDBOX_HOST: options.host } : {}),
    ...(options.appId ? { SANDBOX_APP_ID: options.appId } : {}),
    ...(options.appSecret ? { SANDBOX_APP_SECRET: options.appSecret } : {}),
    ...(options.tokenTtlSec !== undefined ? { SANDBOX_TOKEN_TTL_SEC: String(options.tokenTtlSec) } : {}),
    ...(options.latencyMs !== undefined ? { SANDBOX_LATENCY_MS: String(options.latencyMs) } : {}),
    ...(options.statusDelayMs !== undefined ? { SANDBOX_STATUS_DELAY_MS: String(options.statusDelayMs) } : {}),
    ...(options.seenDelayMs !== undefined ? { SANDBOX_SEEN_DELAY_MS: String(options.seenDelayMs) } : {}),
    ...(options.viberCallbackUrl ? { SANDBOX_VIBER_CALLBACK_URL: options.viberCallbackUrl } : {}),
    // the child is plain Node running CommonJS (require(esm) loads Nest 12 there)
    TS_NODE_PROJECT: join(dir, '..', '..', '..', '..', 'tsconfig.json'),
  };
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const info = await waitForReady(child);
  const admin = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${info.url}/_sandbox/${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`sandbox ${method} /_sandbox/${path} answered ${res.status}`);
    return res.status === 204 ? undefined : res.json();
  };
  return {
    ...info,
    stats: async () => (await admin('GET', 'stats')) as SandboxStats,
    reset: async () => void (await admin('POST', 'reset')),
    revokeTokens: async () => void (await admin('POST', 'revoke-tokens')),
    setFaults: async (faults) => void (await admin('POST', 'faults', faults)),
    setViberCallbackUrl: async (url) => void (await admin('POST', 'application', { viberCallbackUrl: url ?? null })),
    close: () => stop(child),
  };
}

function waitForReady(child: ChildProcess): Promise<{ url: string; port: number; appId: string; appSecret: string }> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`Routee sandbox did not start within ${START_TIMEOUT_MS} ms:\n${out}${err}`));
    }, START_TIMEOUT_MS);
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith(READY_MARKER));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line.slice(READY_MARKER.length)));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Routee sandbox exited with ${code} before it was ready:\n${out}${err}`));
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
