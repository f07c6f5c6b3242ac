import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

interface Started {
  child: ChildProcess;
  url: string;
}

function startChild(dataDir: string, attach = false): Promise<Started> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', 'test/support/embedded-db-child.ts'],
      {
        env: { ...process.env, DATA_DIR: dataDir, ATTACH: attach ? '1' : '0', TS_NODE_PROJECT: 'tsconfig.json' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout!.on('data', (d) => {
      out += String(d);
      const m = /ready (\S+)/.exec(out);
      if (m) resolve({ child, url: m[1] });
    });
    child.stderr!.on('data', (d) => (out += String(d)));
    child.on('exit', (code) => reject(new Error(`child exited ${code}: ${out}`)));
  });
}

async function query(url: string, sql: string): Promise<unknown[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows;
  } finally {
    await c.end();
  }
}

const exited = (child: ChildProcess) => new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));

describe('embedded Postgres', () => {
  const base = mkdtempSync(join(tmpdir(), 'otp-embedded-'));
  const dataDir = join(base, 'postgres');
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('keeps its data across a SIGKILLed run: the orphaned postmaster is stopped and a fresh one starts', async () => {
    const first = await startChild(dataDir);
    await query(first.url, "CREATE TABLE survivor (v text); INSERT INTO survivor VALUES ('kept')");
    const orphanPid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    first.child.kill('SIGKILL');
    await exited(first.child);
    expect(() => process.kill(orphanPid, 0)).not.toThrow(); // the postmaster outlived its parent

    const second = await startChild(dataDir);
    expect(await query(second.url, 'SELECT v FROM survivor')).toEqual([{ v: 'kept' }]);
    expect(() => process.kill(orphanPid, 0)).toThrow(); // the orphan was shut down
    second.child.kill('SIGTERM');
    await exited(second.child);
    expect(existsSync(join(dataDir, 'postmaster.pid'))).toBe(false);
  }, 60_000);

  it('a second user of the same data dir attaches to the running one instead of killing it', async () => {
    const owner = await startChild(dataDir);
    const guest = await startChild(dataDir, true);
    expect(guest.url).toBe(owner.url);
    guest.child.kill('SIGTERM');
    await exited(guest.child);
    expect(await query(owner.url, 'SELECT v FROM survivor')).toEqual([{ v: 'kept' }]);
    owner.child.kill('SIGTERM');
    await exited(owner.child);
  }, 60_000);
});
