import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** the real CLI, as `npm run keys` runs it, on the test database: its output and exit code */
export async function keys(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      [
        '-r',
        'ts-node/register/transpile-only',
        '-r',
        'tsconfig-paths/register',
        'apps/cli/src/main.ts',
        'keys',
        ...args,
      ],
      {
        env: { ...process.env, DATABASE_URL: process.env.TEST_DATABASE_URL, TS_NODE_PROJECT: 'tsconfig.json' },
        timeout: 60_000,
      },
    );
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}
