import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, request } from 'undici';
import { checkAddress, type AddressVerdict } from './address-policy';

export interface WebhookPosterOptions {
  timeoutMs: number;
  allowPrivate: boolean;
}

export interface WebhookPostResult {
  ok: boolean;
  statusCode?: number;
  error?: string;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * POSTs webhooks: a per-request timeout, redirects never followed (undici's
 * default), and every address the host resolves to checked against the
 * address policy at connect time, so a DNS answer that changes after the
 * send-time check (rebinding) cannot reach a refused address either.
 */
export class WebhookPoster {
  private readonly agent: Agent;

  constructor(private readonly options: WebhookPosterOptions) {
    this.agent = new Agent({
      connect: { timeout: options.timeoutMs, lookup: this.guardedLookup },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      keepAliveTimeout: 4000,
    });
  }

  /** The send-time check: a 422 for a URL whose host is (or resolves to) a refused address. */
  async checkUrl(raw: string): Promise<AddressVerdict> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return { ok: false, reason: 'not a URL' };
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, reason: 'only http and https URLs' };
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host)) return checkAddress(host, this.options.allowPrivate);
    // A name that does not resolve (now, or within a second) is let through: DNS trouble must not
    // fail a login send, and every delivery checks the addresses again when it connects.
    const addresses = await new Promise<LookupAddress[]>((resolve) => {
      const timer = setTimeout(() => resolve([]), 1000);
      dnsLookup(host, { all: true }, (err, a) => {
        clearTimeout(timer);
        resolve(err ? [] : a);
      });
    });
    for (const { address } of addresses) {
      const verdict = checkAddress(address, this.options.allowPrivate);
      if (!verdict.ok) return verdict;
    }
    return { ok: true };
  }

  async post(url: string, body: string, headers: Record<string, string>): Promise<WebhookPostResult> {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    if (isIP(host)) {
      // a literal IP never goes through lookup: check it here
      const verdict = checkAddress(host, this.options.allowPrivate);
      if (!verdict.ok) return { ok: false, error: `refused: ${verdict.reason}` };
    }
    try {
      const res = await request(url, {
        method: 'POST',
        dispatcher: this.agent,
        headers: { 'content-type': 'application/json', 'user-agent': 'otp-failover-gateway', ...headers },
        body,
      });
      await res.body.dump();
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      return { ok, statusCode: res.statusCode, ...(!ok && { error: `HTTP ${res.statusCode}` }) };
    } catch (err) {
      const e = err as { code?: string; message?: string };
      return { ok: false, error: `${e.code ?? 'error'}: ${e.message ?? String(err)}` };
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private readonly guardedLookup = (hostname: string, opts: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...opts, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      for (const { address } of addresses) {
        const verdict = checkAddress(address, this.options.allowPrivate);
        if (!verdict.ok)
          return callback(Object.assign(new Error(`refused: ${verdict.reason}`), { code: 'EWEBHOOKREFUSED' }), []);
      }
      if (opts.all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/** Exponential backoff with full jitter in [d/2, d], d = base·2^(attempt-1), capped. */
export function backoffMs(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const d = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(d / 2 + random() * (d / 2));
}
