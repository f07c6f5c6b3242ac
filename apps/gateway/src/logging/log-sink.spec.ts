import { setImmediate as nextTurn } from 'node:timers/promises';
import { jest } from '@jest/globals';
import { GatewayLogSink } from './log-sink';

/** what the sink handed the process's own streams, in order (Node's own warnings left out) */
function captureStreams(): { writes: { stream: string; text: string }[]; restore: () => void } {
  const writes: { stream: string; text: string }[] = [];
  const spies = (['stdout', 'stderr'] as const).map((stream) =>
    jest.spyOn(process[stream], 'write').mockImplementation((chunk: string | Uint8Array) => {
      const text = String(chunk);
      if (text.startsWith('{')) writes.push({ stream, text });
      return true;
    }),
  );
  return { writes, restore: () => spies.forEach((spy) => spy.mockRestore()) };
}

describe('GatewayLogSink on the process streams', () => {
  const sink = new GatewayLogSink({ format: 'json', levels: ['log', 'warn', 'error'] });
  const access = (n: number) => sink.access({ method: 'GET', route: '/x', status: 200, ms: n, requestId: `r${n}` });

  it("writes one turn's stdout lines in one write, after the turn", async () => {
    const { writes, restore } = captureStreams();
    try {
      access(1);
      access(2);
      sink.log('three', 'Test');
      expect(writes).toEqual([]);
      await nextTurn();
      expect(writes).toHaveLength(1);
      const lines = writes[0].text.split('\n');
      expect(lines.pop()).toBe('');
      expect(lines.map((l) => JSON.parse(l) as { message: string }).map((l) => l.message)).toEqual([
        'GET /x 200',
        'GET /x 200',
        'three',
      ]);
    } finally {
      restore();
    }
  });

  it('writes what stdout gathered before a stderr line, so the order holds', async () => {
    const { writes, restore } = captureStreams();
    try {
      sink.log('before', 'Test');
      sink.warn('warned', 'Test');
      sink.log('after', 'Test');
      await nextTurn();
      expect(writes.map((w) => [w.stream, (JSON.parse(w.text) as { message: string }).message])).toEqual([
        ['stdout', 'before'],
        ['stderr', 'warned'],
        ['stdout', 'after'],
      ]);
    } finally {
      restore();
    }
  });

  it('writes at once when a turn gathers many lines', () => {
    const { writes, restore } = captureStreams();
    try {
      for (let i = 0; i < 256; i++) access(i);
      expect(writes).toHaveLength(1);
      expect(writes[0].text.split('\n')).toHaveLength(257);
    } finally {
      restore();
    }
  });
});
