import { createServer } from 'node:net';
import type { Client } from 'pg';

/** a TCP port free right now (for a gateway that must know its own URL before it listens) */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` until it returns something truthy; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 10_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export interface FlowRow {
  status: string;
  status_code: number | null;
  next_check_at: Date | null;
  error: string | null;
}

export interface StepRow {
  role: string;
  channel: string;
  status: string;
  send_state: string;
  send_error: string | null;
  tracking_id: string | null;
}

export async function flowRow(db: Client, flowId: string): Promise<FlowRow> {
  const { rows } = await db.query<FlowRow>(
    'SELECT status, status_code, next_check_at, error FROM flows WHERE id = $1',
    [flowId],
  );
  return rows[0];
}

/** primary first */
export async function stepRows(db: Client, flowId: string): Promise<StepRow[]> {
  const { rows } = await db.query<StepRow>(
    `SELECT role, channel, status, send_state, send_error, tracking_id FROM steps WHERE flow_id = $1 ORDER BY role = 'failover', role`,
    [flowId],
  );
  return rows;
}

/** waits until the flow is no longer InProgress and returns its row */
export function finalFlow(db: Client, flowId: string, timeoutMs = 10_000): Promise<FlowRow> {
  return waitFor(
    `flow ${flowId} to end`,
    async () => {
      const row = await flowRow(db, flowId);
      return row && (row.status === 'Succeeded' || row.status === 'Failed') ? row : undefined;
    },
    timeoutMs,
  );
}
