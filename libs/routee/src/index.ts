export * from './routee.types';
export * from './routee-client';
export { foldSmsParts, readStatus, readViberTracking } from './routee-tracking';
export * from './circuit-breaker';
export * from './viber-otp-templates';
