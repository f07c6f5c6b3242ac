export * from './gateway-metrics';
export * from './metrics.module';
