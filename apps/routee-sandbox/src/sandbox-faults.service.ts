import { Inject, Injectable } from '@nestjs/common';
import { type ResolvedSandboxOptions, SANDBOX_OPTIONS } from './sandbox.options';

export interface SandboxFaultSettings {
  /** delay before answering any API request */
  latencyMs?: number;
  /** extra delay of tracking GETs only (a slow Routee tracking) */
  trackingLatencyMs?: number;
}

/** Per-run faults tests switch on and off; reset() restores the start options. */
@Injectable()
export class SandboxFaults {
  latencyMs: number;
  trackingLatencyMs = 0;

  constructor(@Inject(SANDBOX_OPTIONS) private readonly options: ResolvedSandboxOptions) {
    this.latencyMs = options.latencyMs;
  }

  set(settings: SandboxFaultSettings): void {
    if (settings.latencyMs !== undefined) this.latencyMs = nonNegative(settings.latencyMs);
    if (settings.trackingLatencyMs !== undefined) this.trackingLatencyMs = nonNegative(settings.trackingLatencyMs);
  }

  reset(): void {
    this.latencyMs = this.options.latencyMs;
    this.trackingLatencyMs = 0;
  }
}

function nonNegative(n: unknown): number {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : 0;
}
