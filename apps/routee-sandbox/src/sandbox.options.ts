export interface SandboxOptions {
  /** 0 or undefined: a free port */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  /** default 'sandbox' */
  appId?: string;
  /** default 'sandbox-secret' */
  appSecret?: string;
  /** lifetime of issued tokens, default 3600 (Routee's default, docs: authentication) */
  tokenTtlSec?: number;
  /** delay before answering any API request, default 0 */
  latencyMs?: number;
  /** time from a send to its final status, default 1000 */
  statusDelayMs?: number;
  /** Viber DELIVERED -> SEEN, default 500 */
  seenDelayMs?: number;
  /**
   * The application's Viber callback URL, as set on the application in Routee's portal:
   * Viber OTP delivery reports are posted there, strategy OnChange. Default: none
   */
  viberCallbackUrl?: string;
  /** Nest logging, default false */
  logger?: boolean;
}

export type ResolvedSandboxOptions = Required<Omit<SandboxOptions, 'viberCallbackUrl'>> &
  Pick<SandboxOptions, 'viberCallbackUrl'>;

export const SANDBOX_OPTIONS = Symbol('SANDBOX_OPTIONS');

export function resolveSandboxOptions(options: SandboxOptions = {}): ResolvedSandboxOptions {
  return {
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    appId: options.appId ?? 'sandbox',
    appSecret: options.appSecret ?? 'sandbox-secret',
    tokenTtlSec: options.tokenTtlSec ?? 3600,
    latencyMs: options.latencyMs ?? 0,
    statusDelayMs: options.statusDelayMs ?? 1000,
    seenDelayMs: options.seenDelayMs ?? 500,
    viberCallbackUrl: options.viberCallbackUrl,
    logger: options.logger ?? false,
  };
}
