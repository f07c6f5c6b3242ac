/** The request examples of the OpenAPI document (seed 004, routee-docs/how-to-send-a-failover-message.md). */

/** seed 004's Voice dial plan */
export const DIAL_PLAN_EXAMPLE = {
  verbs: [
    {
      type: 'PLAY',
      repeat: 2,
      fileURL: 'http://www.externalharddrive.com/waves/animal/monkey.wav',
      bargeIn: false,
    },
    {
      type: 'SAY',
      repeat: 3,
      bargeIn: false,
      message: { language: 'en-US', gender: 'female', text: 'Failover Voice Dialplan' },
    },
  ],
};

/** seed 004's three-step example, its Viber step given order 3 (the seed's two steps of order 2 are refused: orders are unique) */
export const THREE_STEP_EXAMPLE = {
  flow: [
    {
      type: 'Sms',
      from: 'senderId',
      to: '+306912345678',
      ttl: 30,
      message: { body: 'The sms message to be sent', flash: true, label: 'string', transcode: true },
      order: 1,
      failoverOnStatuses: ['FAILED', 'UNDELIVERED'],
    },
    {
      type: 'Voice',
      from: 'ASenderId',
      to: { phone: '+306981234567', viber: '', sip: '' },
      dialPlan: DIAL_PLAN_EXAMPLE,
      machineDetection: { strategy: 'Hangup' },
      order: 2,
      failoverOnStatuses: ['Busy', 'NoAnswer'],
    },
    {
      type: 'Viber',
      senderInfoTrackingId: '0094d198-4dd2-4fb5-b451-d46aca191b27',
      to: '+306912345678',
      inboundUrl: 'https://inbound.url',
      ttl: 30,
      expireOnDelivery: false,
      message: {
        text: 'string',
        imageUrl: 'https://image.url',
        action: { caption: 'Go', targetUrl: 'https://www.routee.net/' },
      },
      order: 3,
      failoverOnStatuses: ['EXPIRED', 'FAILED', 'UNDELIVERED'],
    },
  ],
  callback: { strategy: 'OnCompletion', url: 'https://target.url' },
};

/** seed 004's Viber → SMS example */
export const VIBER_SMS_EXAMPLE = {
  flow: [
    {
      type: 'Viber',
      senderInfoTrackingId: '0094d198-4dd2-4fb5-b451-d46aca191b27',
      to: '+306912345678',
      inboundUrl: 'https://inbound.url',
      ttl: 30,
      expireOnDelivery: false,
      message: {
        text: 'string',
        imageUrl: 'https://image.url',
        action: { caption: 'Go', targetUrl: 'https://www.routee.net/' },
      },
      order: 1,
      failoverOnStatuses: ['EXPIRED', 'FAILED', 'UNDELIVERED'],
    },
    {
      type: 'Sms',
      from: 'senderId',
      to: '+306912345678',
      ttl: 30,
      message: { body: 'The sms message to be sent', flash: true, label: 'string', transcode: true },
      order: 2,
      failoverOnStatuses: ['FAILED', 'UNDELIVERED'],
    },
  ],
  callback: { strategy: 'OnStep', url: 'https://target.url' },
};
