export * from './engine.options';
export * from './engine.module';
export * from './flow-engine';
export * from './failover-worker';
export * from './mask';
