import { plainToInstance } from 'class-transformer';
import { FailoverRequestDto } from './dto/failover-request.dto';
import { toFailoverDefinition } from './failover-definition';
import { PlatformError } from './platform-error';

/** the DTO as the global ValidationPipe builds it (class-transformer), then the steps the engine sends */
const definitionOf = (body: object) => toFailoverDefinition(plainToInstance(FailoverRequestDto, body));

describe('toFailoverDefinition', () => {
  it('sorts by order, converts ttl minutes to seconds and to to digits, fills in the defaults', () => {
    expect(
      definitionOf({
        flow: [
          {
            type: 'viber',
            senderInfoTrackingId: 's-1',
            to: '+306912345678',
            order: 5,
            ttl: 0.5,
            label: 'promo',
            message: { text: 'hi', action: { caption: 'Go', targetUrl: 'https://a.example' } },
          },
          { type: 'SMS', from: 'Acme', to: '306912345678', order: 2, message: { body: 'hello', flash: true } },
          {
            type: 'Voice',
            from: 'Acme',
            to: { phone: '+306981234567', viber: '', sip: '' },
            order: 9,
            dialPlan: {
              verbs: [
                { type: 'play', fileURL: 'https://a.example/a.wav', repeat: 2 },
                { type: 'SAY', message: { language: 'en-US', gender: 'Female', text: 'hi' }, bargeIn: true },
              ],
            },
            machineDetection: { strategy: 'Continue', eventUrl: 'https://a.example/machine' },
            failoverOnStatuses: ['busy'],
          },
        ],
      }),
    ).toEqual([
      {
        type: 'Sms',
        to: '306912345678',
        order: 2,
        ttl: 1200 * 60,
        failoverOnStatuses: ['Undelivered', 'Failed'],
        from: 'Acme',
        message: { body: 'hello', flash: true },
      },
      {
        type: 'Viber',
        to: '306912345678',
        order: 5,
        ttl: 30,
        label: 'promo',
        failoverOnStatuses: ['Expired', 'Failed', 'Undelivered'],
        senderInfoTrackingId: 's-1',
        expireOnDelivery: false,
        message: { text: 'hi', action: { caption: 'Go', targetUrl: 'https://a.example' } },
      },
      {
        type: 'Voice',
        to: '306981234567',
        order: 9,
        ttl: 600,
        failoverOnStatuses: ['busy'],
        from: 'Acme',
        address: { phone: '+306981234567', viber: '', sip: '' },
        dialPlan: {
          verbs: [
            { type: 'PLAY', fileURL: 'https://a.example/a.wav', repeat: 2 },
            { type: 'SAY', message: { language: 'en-US', gender: 'female', text: 'hi' }, bargeIn: true },
          ],
        },
        machineDetection: { strategy: 'Continue', eventUrl: 'https://a.example/machine' },
      },
    ]);
  });

  it.each<[number, number]>([
    [1, 60],
    [1440, 86400],
  ])('Sms %d minutes is %d s', (ttl, seconds) => {
    const [step] = definitionOf({
      flow: [{ type: 'Sms', from: 'A', to: '306912345678', order: 1, ttl, message: { body: 'x' } }],
    });
    expect(step.ttl).toBe(seconds);
  });

  it.each<[number, number]>([
    [0.5, 30],
    [1.1, 66],
    [10, 600],
    [1440, 86400],
  ])('Viber %d minutes is %d s', (ttl, seconds) => {
    const [step] = definitionOf({
      flow: [{ type: 'Viber', senderInfoTrackingId: 's', to: '306912345678', order: 1, ttl, message: { text: 'x' } }],
    });
    expect(step.ttl).toBe(seconds);
  });

  it("the Sms message's label is the step's label; flash and transcode are kept", () => {
    const [step] = definitionOf({
      flow: [
        { type: 'Sms', from: 'A', to: '306912345678', order: 1, message: { body: 'x', label: 'l', transcode: false } },
      ],
    });
    expect(step).toMatchObject({ label: 'l', message: { body: 'x', transcode: false } });
  });

  it('refuses an order used twice, naming the later step by its place in the request', () => {
    const sms = (order: number) => ({ type: 'Sms', from: 'A', to: '306912345678', order, message: { body: 'x' } });
    expect.assertions(2);
    try {
      definitionOf({ flow: [sms(2), sms(1), sms(2), sms(1)] });
    } catch (err) {
      expect(err).toBeInstanceOf(PlatformError);
      expect((err as PlatformError).body).toEqual({
        code: '400000000',
        developerMessage: 'Validation failed',
        properties: {
          'flow[2].order': 'order 2 is used twice (flow[0] and flow[2]): orders are unique',
          'flow[3].order': 'order 1 is used twice (flow[1] and flow[3]): orders are unique',
        },
      });
    }
  });
});
