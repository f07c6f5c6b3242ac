import { setTimeout as sleep } from 'node:timers/promises';
import { Test } from '@nestjs/testing';
import { GatewayMetrics } from './gateway-metrics';
import { MetricsModule } from './metrics.module';

/** the event loop held `ms`, then let go: a running 10 ms delay monitor records something (more than 0) */
async function blockLoop(ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until);
  await sleep(30);
}

/** enough short-lived garbage for a few scavenges, then time for the GC observer's entries to arrive */
async function makeGarbage(): Promise<void> {
  let keep = 0;
  for (let i = 0; i < 300_000; i++) keep += new Array(50).fill(i).length;
  expect(keep).toBeGreaterThan(0);
  await sleep(50);
}

async function lagMax(metrics: GatewayMetrics): Promise<number> {
  const { values } = await metrics.registry.getSingleMetric('nodejs_eventloop_lag_max_seconds')!.get();
  return values[0].value;
}

async function gcCount(metrics: GatewayMetrics): Promise<number> {
  const { values } = await metrics.registry.getSingleMetric('nodejs_gc_duration_seconds')!.get();
  return values
    .filter((v) => (v as { metricName?: string }).metricName === 'nodejs_gc_duration_seconds_count')
    .reduce((n, v) => n + v.value, 0);
}

describe('GatewayMetrics: the event loop monitor and the GC observer stop with the app', () => {
  it('app.close() disables the delay histogram and disconnects the GC observer', async () => {
    const app = await Test.createTestingModule({ imports: [MetricsModule.forRoot()] }).compile();
    await app.init();
    const metrics = app.get(GatewayMetrics);

    // running: a held loop shows in the lag, garbage in the GC histogram
    await lagMax(metrics); // starts the interval
    await blockLoop(60);
    expect(await lagMax(metrics)).toBeGreaterThan(0);
    await makeGarbage();
    expect(await gcCount(metrics)).toBeGreaterThan(0);

    await app.close();

    await blockLoop(60);
    expect(await lagMax(metrics)).toBe(0);
    const gcs = await gcCount(metrics);
    await makeGarbage();
    expect(await gcCount(metrics)).toBe(gcs);
  });

  it('close() twice is harmless; without default metrics there is nothing to stop', () => {
    const metrics = new GatewayMetrics();
    metrics.close();
    metrics.close();
    new GatewayMetrics({ defaultMetrics: false }).close();
  });
});
