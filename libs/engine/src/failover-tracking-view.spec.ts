import type { FlowEntity, FlowWithSteps, StepDefinition, StepEntity } from '@app/persistence';
import { smsParts, toFailoverTracking, type FailoverTrackingView } from './failover-tracking-view';

const T0 = new Date('2026-06-09T13:21:02.209Z');
const at = (sec: number) => new Date(T0.getTime() + sec * 1000);

const SMS: StepDefinition = {
  type: 'Sms',
  to: '306912345678',
  order: 1,
  ttl: 30 * 60,
  label: 'login',
  failoverOnStatuses: ['FAILED', 'UNDELIVERED'],
  from: 'senderId',
  message: { body: 'The sms message to be sent', flash: true, transcode: true },
};
const VOICE: StepDefinition = {
  type: 'Voice',
  to: '306981234567',
  order: 2,
  ttl: 600,
  failoverOnStatuses: ['Busy', 'NoAnswer'],
  from: 'ASenderId',
  address: { phone: '+306981234567', viber: '', sip: '' },
  dialPlan: { verbs: [{ type: 'PLAY', fileURL: 'http://example.com/a.wav', repeat: 2, bargeIn: false }] },
  machineDetection: { strategy: 'Hangup' },
};
const VIBER: StepDefinition = {
  type: 'Viber',
  to: '306912345678',
  order: 3,
  ttl: 30,
  label: 'promo',
  failoverOnStatuses: ['EXPIRED', 'FAILED', 'UNDELIVERED'],
  senderInfoTrackingId: '0094d198-4dd2-4fb5-b451-d46aca191b27',
  expireOnDelivery: true,
  inboundUrl: 'https://inbound.example.com',
  message: { text: 'hello', action: { caption: 'Go', targetUrl: 'https://www.routee.net/' } },
};

function flowOf(status: string, statusCode: number | null, definition: StepDefinition[] = [SMS, VOICE, VIBER]) {
  return {
    id: '1e5400aa-9a4a-4c58-9040-6dbdc8a324c1',
    kind: 'failover',
    status,
    statusCode,
    definition,
    apiKeyId: 'key-1',
    createdAt: T0,
    updatedAt: at(40),
  } as FlowEntity;
}

function stepOf(order: number, overrides: Partial<StepEntity> = {}): StepEntity {
  return {
    id: `step-${order}`,
    flowId: '1e5400aa-9a4a-4c58-9040-6dbdc8a324c1',
    order,
    role: order === 1 ? 'primary' : 'failover',
    channel: 'sms',
    phoneNumber: '306912345678',
    label: null,
    trackingId: `t-${order}`,
    status: 'Queued',
    sendState: 'sent',
    sendError: null,
    claimedUntil: null,
    detailedStatus: null,
    errorMessage: null,
    price: null,
    latencyMs: null,
    country: null,
    operator: null,
    messageId: null,
    durationSec: null,
    answeredBy: null,
    createdAt: at(order),
    sentAt: at(order),
    deliveredAt: null,
    statusUpdatedAt: null,
    checkedAt: null,
    ...overrides,
  } as StepEntity;
}

const undeliveredSms = stepOf(1, {
  status: 'Undelivered',
  detailedStatus: 'Opted-out',
  errorMessage: 'Message cannot be sent to the destination number because the customer has replied with STOP',
  statusUpdatedAt: at(5),
  country: 'GR',
  operator: 'Vodafone',
  price: 0.036,
  latencyMs: 4,
});
const busyVoice = stepOf(2, {
  channel: 'voice',
  phoneNumber: '306981234567',
  trackingId: 'conv-2',
  messageId: 'call-2',
  status: 'Busy',
  statusUpdatedAt: at(20),
  durationSec: 0,
  answeredBy: null,
  price: 0.0039,
});

describe('toFailoverTracking (seed 001, routee-docs/failover-callbacks.md)', () => {
  it('a three-step flow: the root fields and each channel its own fields, in order', () => {
    const viber = stepOf(3, {
      channel: 'viber',
      status: 'DELIVERED',
      detailedStatus: 'Delivered',
      errorMessage: 'The message was delivered to its recipient.',
      deliveredAt: at(30),
      statusUpdatedAt: at(30),
      country: 'GR',
      price: 0.035,
    });
    const view = toFailoverTracking(
      { flow: flowOf('Succeeded', null), steps: [undeliveredSms, busyVoice, viber] },
      at(35),
    );
    expect(view).toEqual<FailoverTrackingView>({
      trackingId: '1e5400aa-9a4a-4c58-9040-6dbdc8a324c1',
      messages: [
        {
          type: 'Sms',
          messageId: 't-1',
          smsId: 't-1',
          order: 1,
          failoverOnStatuses: ['FAILED', 'UNDELIVERED'],
          createdAt: at(1).toISOString(),
          to: '+306912345678',
          country: 'GR',
          status: {
            name: 'Undelivered',
            reason: {
              detailedStatus: 'Opted-out',
              description:
                'Message cannot be sent to the destination number because the customer has replied with STOP',
            },
            updatedDate: at(5).toISOString(),
          },
          price: 0.036,
          from: 'senderId',
          body: 'The sms message to be sent',
          operator: 'Vodafone',
          label: 'login',
          ttl: 30,
          part: 1,
          parts: 1,
          latency: 4,
        },
        {
          type: 'Voice',
          messageId: 'call-2',
          conversationTrackingId: 'conv-2',
          order: 2,
          failoverOnStatuses: ['Busy', 'NoAnswer'],
          createdAt: at(2).toISOString(),
          to: '+306981234567',
          country: null,
          status: {
            name: 'Busy',
            reason: { detailedStatus: null, description: null },
            updatedDate: at(20).toISOString(),
          },
          price: 0.0039,
          from: 'ASenderId',
          label: null,
          ttl: 10,
          duration: 0,
          answeredBy: null,
        },
        {
          type: 'Viber',
          trackingId: 't-3',
          order: 3,
          failoverOnStatuses: ['EXPIRED', 'FAILED', 'UNDELIVERED'],
          createdAt: at(3).toISOString(),
          to: '+306912345678',
          country: 'GR',
          status: {
            name: 'DELIVERED',
            reason: { detailedStatus: 'Delivered', description: 'The message was delivered to its recipient.' },
            updatedDate: at(30).toISOString(),
          },
          price: 0.035,
          from: '0094d198-4dd2-4fb5-b451-d46aca191b27',
          body: { text: 'hello', action: { caption: 'Go', targetUrl: 'https://www.routee.net/' } },
          label: 'promo',
          ttl: 0.5,
          inboundUrl: 'https://inbound.example.com',
          expireOnDelivery: true,
          expiredOnDeliveryAt: null,
        },
      ],
      terminationChannel: 'Viber',
      status: 'Succeeded',
      statusCode: null,
      totalPrice: 0.0749,
      originatingService: 'Failover',
      applicationId: 'key-1',
      createdAt: T0.toISOString(),
      updatedAt: at(40).toISOString(),
    });
  });

  const viberStep = (overrides: Partial<StepEntity>) => stepOf(3, { channel: 'viber', ...overrides });
  const flowWith = (status: string, statusCode: number | null, last: StepEntity): FlowWithSteps => ({
    flow: flowOf(status, statusCode),
    steps: [undeliveredSms, busyVoice, last],
  });

  it.each<[string, FlowWithSteps, Date, Partial<FailoverTrackingView>]>([
    [
      'in progress: no terminationChannel yet',
      flowWith('InProgress', null, viberStep({ status: 'QUEUED' })),
      at(10),
      { status: 'InProgress', statusCode: null, terminationChannel: null },
    ],
    [
      'failed on the last step: statusCode "2", the last step is the termination channel',
      flowWith('Failed', 2, viberStep({ status: 'UNDELIVERED' })),
      at(10),
      { status: 'Failed', statusCode: '2', terminationChannel: 'Viber' },
    ],
    [
      'insufficient balance: statusCode "1"',
      { flow: flowOf('Failed', 1), steps: [stepOf(1, { status: 'Unsent', trackingId: null })] },
      at(10),
      { status: 'Failed', statusCode: '1', terminationChannel: 'Sms', totalPrice: 0 },
    ],
    [
      'a step Routee did not take yet: ids null, queued',
      { flow: flowOf('Queued', null), steps: [stepOf(1, { trackingId: null, sendState: 'queued', sentAt: null })] },
      at(10),
      { status: 'Queued', terminationChannel: null },
    ],
  ])('%s', (_what, current, now, expected) => {
    expect(toFailoverTracking(current, now)).toMatchObject(expected);
  });

  it('a step not sent yet has null ids and no status date', () => {
    const view = toFailoverTracking(
      { flow: flowOf('Queued', null), steps: [stepOf(1, { trackingId: null, sentAt: null })] },
      at(1),
    );
    expect(view.messages[0]).toMatchObject({
      messageId: null,
      smsId: null,
      status: { name: 'Queued', updatedDate: null },
    });
  });

  it.each<[string, Partial<StepEntity>, Date, string | null]>([
    ['delivered, ttl not passed yet', { status: 'DELIVERED', deliveredAt: at(30) }, at(59), null],
    ['delivered, ttl passed without Seen', { status: 'DELIVERED', deliveredAt: at(30) }, at(60), at(60).toISOString()],
    ['expired after the delivery', { status: 'EXPIRED', deliveredAt: at(30) }, at(90), at(60).toISOString()],
    ['seen', { status: 'SEEN', deliveredAt: at(30) }, at(90), null],
    ['never delivered', { status: 'QUEUED' }, at(90), null],
  ])('expiredOnDeliveryAt: %s', (_what, overrides, now, expected) => {
    const view = toFailoverTracking(flowWith('InProgress', null, viberStep(overrides)), now);
    expect(view.messages[2]).toMatchObject({ expiredOnDeliveryAt: expected });
  });

  it('expiredOnDeliveryAt stays null without expireOnDelivery', () => {
    const definition = [SMS, VOICE, { ...VIBER, expireOnDelivery: false } as StepDefinition];
    const view = toFailoverTracking(
      {
        flow: flowOf('InProgress', null, definition),
        steps: [undeliveredSms, busyVoice, viberStep({ status: 'DELIVERED', deliveredAt: at(30) })],
      },
      at(600),
    );
    expect(view.messages[2]).toMatchObject({ expireOnDelivery: false, expiredOnDeliveryAt: null });
  });

  it('the Viber body carries only the parts given', () => {
    const definition = [
      {
        ...VIBER,
        order: 1,
        message: {
          imageUrl: 'https://example.com/a.png',
          viberFile: { fileName: 'a.pdf', fileType: 'pdf', fileUrl: 'https://example.com/a.pdf' },
        },
      } as StepDefinition,
    ];
    const view = toFailoverTracking({
      flow: flowOf('InProgress', null, definition),
      steps: [stepOf(1, { channel: 'viber' })],
    });
    expect(view.messages[0]).toMatchObject({
      body: {
        imageUrl: 'https://example.com/a.png',
        viberFile: { fileName: 'a.pdf', fileType: 'pdf', fileUrl: 'https://example.com/a.pdf' },
      },
    });
    expect(Object.keys((view.messages[0] as { body: object }).body)).toEqual(['imageUrl', 'viberFile']);
  });

  it.each<[string, string, number]>([
    ['empty', '', 1],
    ['160 GSM-7 characters', 'a'.repeat(160), 1],
    ['161 GSM-7 characters', 'a'.repeat(161), 2],
    ['306 GSM-7 characters', 'a'.repeat(306), 2],
    ['307 GSM-7 characters', 'a'.repeat(307), 3],
    ['80 extension characters (160 septets)', '€'.repeat(80), 1],
    ['81 extension characters', '€'.repeat(81), 2],
    ['70 UCS-2 characters', 'α'.repeat(70), 1],
    ['72 UCS-2 characters', 'Καλημέρα'.repeat(9), 2],
  ])('smsParts: %s → %d parts', (_what, body, parts) => {
    expect(smsParts(body)).toBe(parts);
  });
});
