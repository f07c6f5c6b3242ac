import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const CONSOLE_FILES = ['index.html', 'console.js', 'console.css', 'favicon.svg'] as const;
export type ConsoleFile = (typeof CONSOLE_FILES)[number];

/**
 * Where the console's files are: beside this module once built (nest-cli.json copies
 * console/assets into dist), in the source tree under jest, whose ESM mode has no
 * __dirname (as in apps/routee-sandbox/src/testing/spawn-sandbox.ts).
 */
function assetsDir(): string {
  if (typeof __dirname !== 'undefined') return join(__dirname, 'assets');
  return join(process.cwd(), 'apps', 'gateway', 'src', 'console', 'assets');
}

/** reads the files once (they are small), at start: a missing one fails the boot, not a request */
export function loadConsoleAssets(dir = assetsDir()): Record<ConsoleFile, string> {
  return Object.fromEntries(CONSOLE_FILES.map((file) => [file, readFileSync(join(dir, file), 'utf8')])) as Record<
    ConsoleFile,
    string
  >;
}
