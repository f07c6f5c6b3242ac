// the rows the engine passes are persistence's entities; the rules are pure
import { FlowEntity } from '@app/persistence/entities/flow.entity';
import { StepEntity } from '@app/persistence/entities/step.entity';
import type { FlowWithSteps } from '@app/persistence/flow.store';
import { applyReportTo, type StatusReport } from './apply-report';

/** what a report does to the step it names, in memory (the engine writes `written` under the flow's lock) */
describe('applyReportTo', () => {
  const now = new Date('2026-11-23T12:00:00Z');
  const earlier = new Date('2026-11-23T11:59:50Z');
  const later = new Date('2026-11-23T12:00:30Z');

  const step = (fields: Partial<StepEntity>): StepEntity =>
    Object.assign(new StepEntity(), {
      id: 'step-1',
      flowId: 'flow-1',
      role: 'primary',
      channel: 'viber',
      trackingId: 'tr-1',
      status: 'QUEUED',
      sendState: 'sent',
      deliveredAt: null,
      errorMessage: null,
      detailedStatus: null,
      ...fields,
    });
  const flowOf = (...steps: StepEntity[]): FlowWithSteps => ({
    flow: Object.assign(new FlowEntity(), { id: 'flow-1' }),
    steps,
  });

  type Row = [
    name: string,
    before: Partial<StepEntity>,
    report: StatusReport,
    changed: boolean,
    after: Partial<StepEntity> | null,
  ];
  const table: Row[] = [
    [
      'a status that moves forward',
      {},
      { status: 'SENT' },
      true,
      { status: 'SENT', statusUpdatedAt: now, deliveredAt: null },
    ],
    [
      'a delivery dated by Routee',
      {},
      { status: 'DELIVERED', statusDate: earlier },
      true,
      { status: 'DELIVERED', deliveredAt: earlier },
    ],
    [
      'a delivery dated in the future is dated now',
      {},
      { status: 'DELIVERED', statusDate: later },
      true,
      { deliveredAt: now },
    ],
    [
      'a delivery keeps the first delivery time',
      { status: 'DELIVERED', deliveredAt: earlier },
      { status: 'SEEN', statusDate: now },
      true,
      { status: 'SEEN', deliveredAt: earlier },
    ],
    [
      'a failure keeps its description',
      {},
      { status: 'UNDELIVERED', description: 'not on Viber' },
      true,
      { status: 'UNDELIVERED', errorMessage: 'not on Viber' },
    ],
    [
      'a delivery clears an earlier description',
      { errorMessage: 'retrying' },
      { status: 'DELIVERED', description: 'ok' },
      true,
      { errorMessage: null },
    ],
    [
      'a stale status is not taken, its details are',
      { status: 'DELIVERED' },
      { status: 'SENT', price: 0.02, country: 'GR' },
      false,
      { status: 'DELIVERED', price: 0.02, country: 'GR' },
    ],
    ['the same status with nothing new writes nothing', { status: 'SENT' }, { status: 'SENT' }, false, null],
  ];

  it.each(table)('%s', (_name, before, report, changed, after) => {
    const other = step({ id: 'step-2', role: 'failover', channel: 'sms', trackingId: 'tr-2', status: 'Queued' });
    const current = flowOf(step(before), other);
    const result = applyReportTo(current, 'tr-1', report, now);
    expect(result?.applied).toEqual({ flowId: 'flow-1', stepId: 'step-1', changed });
    if (after === null) {
      expect(result?.written).toBeNull();
      expect(result?.steps).toBe(current.steps);
    } else {
      expect(result?.written).toMatchObject(after);
      expect(result?.steps).toEqual([result?.written, other]);
      expect(current.steps[0]).toMatchObject({ status: before.status ?? 'QUEUED' }); // the rows read are not changed in place
    }
  });

  it('a trackingId no step of the flow has: null', () => {
    expect(applyReportTo(flowOf(step({})), 'tr-unknown', { status: 'DELIVERED' }, now)).toBeNull();
  });
});
