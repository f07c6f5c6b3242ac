import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { READ_GAUGES } from './sql/metrics.statements';
import { run } from './sql/statement';

export interface StoredGauges {
  /** flows whose next check is past, up to the cap */
  dueFlows: number;
  /** how late the oldest due flow is, seconds (0: none) */
  oldestDueSeconds: number;
  /** pending webhook events, up to the cap */
  webhookBacklog: number;
}

/** What GET /metrics reads from Postgres at each scrape: one indexed statement (READ_GAUGES). */
@Injectable()
export class MetricsStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async readGauges(cap: number): Promise<StoredGauges> {
    const [row] = await run(this.db, READ_GAUGES, [cap]);
    return { dueFlows: row.due_flows, oldestDueSeconds: row.oldest_due_seconds, webhookBacklog: row.webhook_backlog };
  }
}
