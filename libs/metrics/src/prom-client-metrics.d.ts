// prom-client's default collectors one by one (lib/metrics/*.js, CommonJS, untyped): collectDefaultMetrics()
// starts an event loop monitor and a GC observer it gives no way to stop (GatewayMetrics starts its own).
declare module 'prom-client/lib/metrics/*' {
  import type { Registry } from 'prom-client';
  const collector: (registry: Registry, config: Record<string, unknown>) => void;
  export default collector;
}
