import { Inject, Injectable } from '@nestjs/common';
import type { GatewayConfig } from '@app/config';
import { GatewayError } from '../common/gateway-error';
import { GATEWAY_CONFIG } from '../gateway-config.provider';

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * KEY_RATE_LIMIT_PER_MIN: requests per minute per API key, a token bucket per
 * key (bursts up to the per-minute figure, refilled evenly). Kept in memory,
 * so each replica counts on its own: with N replicas behind a balancer a key
 * gets up to N times the figure. Off (0) by default; the per-phone limit,
 * which holds across replicas, is what stops SMS pumping.
 */
@Injectable()
export class KeyRateLimiter {
  private readonly perMin: number;
  private readonly buckets = new Map<string, Bucket>();

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    this.perMin = config.limits.keyRatePerMin;
  }

  /** takes one token for `keyId`, or throws a 429 saying when the next one is there */
  take(keyId: string, now: number = Date.now()): void {
    if (this.perMin <= 0) return;
    const ratePerMs = this.perMin / 60_000;
    const bucket = this.buckets.get(keyId) ?? { tokens: this.perMin, at: now };
    bucket.tokens = Math.min(this.perMin, bucket.tokens + (now - bucket.at) * ratePerMs);
    bucket.at = now;
    if (bucket.tokens < 1) {
      this.buckets.set(keyId, bucket);
      throw GatewayError.rateLimited(
        `too many requests for this API key: at most ${this.perMin} a minute`,
        (1 - bucket.tokens) / ratePerMs / 1000,
      );
    }
    bucket.tokens -= 1;
    // keys are few (only authenticated ones get here); a full bucket is the default, so it can go
    if (this.buckets.size > 10_000) this.sweep(now, ratePerMs);
    this.buckets.set(keyId, bucket);
  }

  private sweep(now: number, ratePerMs: number): void {
    for (const [key, b] of this.buckets)
      if (b.tokens + (now - b.at) * ratePerMs >= this.perMin) this.buckets.delete(key);
  }
}
