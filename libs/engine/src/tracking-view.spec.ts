import { toStepView, type StepFields } from './tracking-view';

const CREATED = new Date('2026-06-09T13:21:02.209Z');

const bare: StepFields = {
  trackingId: null,
  flowId: 'f1',
  role: 'primary',
  status: 'Queued',
  channel: 'viber',
  phoneNumber: '+306912345678',
  price: null,
  latencyMs: null,
  country: null,
  operator: null,
  createdAt: CREATED,
  sentAt: null,
  deliveredAt: null,
  detailedStatus: null,
  errorMessage: null,
  label: null,
};

const everything: StepFields = {
  ...bare,
  trackingId: 't2',
  role: 'failover',
  status: 'Failed',
  channel: 'sms',
  price: 0.0375,
  latencyMs: 812,
  country: 'GR',
  operator: 'Cosmote',
  sentAt: new Date('2026-06-09T13:21:03.000Z'),
  deliveredAt: new Date('2026-06-09T13:21:05.500Z'),
  detailedStatus: 'Delivery failed',
  errorMessage: 'absent subscriber',
  label: 'login',
};

/** every field of `everything`, in the answer's order */
const everyField = {
  trackingId: 't2',
  flowId: 'f1',
  role: 'failover',
  status: 'Failed',
  channel: 'sms',
  phone_number: '+306912345678',
  price: 0.0375,
  latency_ms: 812,
  country: 'GR',
  operator: 'Cosmote',
  created_at: '2026-06-09T13:21:02.209Z',
  sent_at: '2026-06-09T13:21:03.000Z',
  delivered_at: '2026-06-09T13:21:05.500Z',
  detailed_status: 'Delivery failed',
  error_message: 'absent subscriber',
  label: 'login',
  failover_from_message_token: 't1',
};
const bareFields = {
  trackingId: null,
  flowId: 'f1',
  role: 'primary',
  status: 'Queued',
  channel: 'viber',
  phone_number: '+306912345678',
};
const { error_message: _error, failover_from_message_token: _from, ...inProgress } = everyField;

describe('toStepView', () => {
  it.each<[string, StepFields, string | null, Record<string, unknown>]>([
    ['a step not sent yet: the known fields only', bare, null, { ...bareFields, created_at: everyField.created_at }],
    ['a failed failover step: every field, in order', everything, 't1', everyField],
    [
      "a delivery in progress: Routee's description is no error message",
      { ...everything, status: 'Sent', errorMessage: 'The message was sent.' },
      null,
      { ...inProgress, status: 'Sent' },
    ],
    [
      'a price of 0 is a known price',
      { ...bare, price: 0, latencyMs: 0 },
      null,
      { ...bareFields, price: 0, latency_ms: 0, created_at: everyField.created_at },
    ],
  ])('%s', (_name, step, failoverFrom, expected) => {
    const view = toStepView(step, failoverFrom);
    expect(view).toEqual(expected);
    // the JSON answer's order, as integrators read it
    expect(Object.keys(view)).toEqual(Object.keys(expected));
  });
});
