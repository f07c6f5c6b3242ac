import type { SmsSendRequest, ViberOtpSendRequest } from '@app/routee';
/** Request bodies for POST /otp/send-failover, with overrides (immich-style factories). */

export type Json = Record<string, unknown>;

let counter = 0;
/** a fresh Greek mobile number whose last two digits pick the sandbox scenario ("00" = delivers) */
export function phone(scenario = '00'): string {
  counter += 1;
  return `30691${String(counter % 10000).padStart(5, '0')}${scenario}`;
}

export function viberStep(overrides: Json = {}): Json {
  return {
    type: 'ViberOtp',
    to: '306912345600',
    order: 1,
    ttl: 60,
    label: 'login',
    senderInfoTrackingId: '0094d198-4dd2-4fb5-b451-d46aca191b27',
    templateId: '0aac888f-2ee2-4112-9659-1755a951966a',
    templateLang: 'en',
    pin: '482913',
    ...overrides,
  };
}

export function smsStep(overrides: Json = {}): Json {
  return {
    type: 'Sms',
    to: '306912345600',
    order: 2,
    ttl: 300,
    label: 'login',
    from: 'Acme',
    message: { body: 'Your code is 482913' },
    ...overrides,
  };
}

/** a Viber → SMS flow to one number */
export function failoverRequest(to = phone(), overrides: { viber?: Json; sms?: Json; body?: Json } = {}): Json {
  return { flow: [viberStep({ to, ...overrides.viber }), smsStep({ to, ...overrides.sms })], ...overrides.body };
}

/** A RouteeClient.sendViberOtp request (client-level tests, no gateway). */
export function viberOtpSendRequest(overrides: Partial<ViberOtpSendRequest> & { to: string }): ViberOtpSendRequest {
  return {
    senderInfoTrackingId: '0094d198-4dd2-4fb5-b451-d46aca191b27',
    ttl: 60,
    templateId: '0aac888f-2ee2-4112-9659-1755a951966a',
    templateLang: 'en',
    templateParams: { pin: '482913' },
    ...overrides,
  };
}

/** A RouteeClient.sendSms request (client-level tests, no gateway). */
export function smsSendRequest(overrides: Partial<SmsSendRequest> & { to: string }): SmsSendRequest {
  return { from: 'Acme', body: 'Your code is 482913', ttlSeconds: 300, label: 'login', ...overrides };
}
