export * from './routee.types';
export * from './routee-client';
export {
  foldSmsParts,
  normaliseVoiceStatus,
  readStatus,
  readViberTracking,
  readVoiceCallback,
  readVoiceDialTracking,
} from './routee-tracking';
export * from './circuit-breaker';
export * from './viber-otp-templates';
