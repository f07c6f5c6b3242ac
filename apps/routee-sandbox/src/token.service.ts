import { randomUUID, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { RouteeApiError } from './routee-api.error';
import { type ResolvedSandboxOptions, SANDBOX_OPTIONS } from './sandbox.options';

export interface TokenAnswer {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
  permissions: string[];
}

/** POST /oauth/token and bearer checks (docs.routee.net/docs/get-authenticated). */
@Injectable()
export class TokenService {
  private readonly tokens = new Map<string, number>();
  private issued = 0;

  constructor(@Inject(SANDBOX_OPTIONS) private readonly options: ResolvedSandboxOptions) {}

  get tokensIssued(): number {
    return this.issued;
  }

  issue(authorization: string | undefined, form: unknown): TokenAnswer {
    if (!this.credentialsMatch(authorization)) throw RouteeApiError.badCredentials();
    const grantType = (form as { grant_type?: unknown } | undefined)?.grant_type;
    if (grantType !== 'client_credentials') {
      throw RouteeApiError.validation('generic', 'grant_type: must be client_credentials');
    }
    const token = randomUUID();
    this.tokens.set(token, Date.now() + this.options.tokenTtlSec * 1000);
    this.issued++;
    return {
      access_token: token,
      token_type: 'bearer',
      expires_in: this.options.tokenTtlSec,
      scope: 'sms viber account',
      permissions: ['MT_ROLE_SMS', 'MT_ROLE_VIBER', 'MT_ROLE_ACCOUNT_FINANCE'],
    };
  }

  verify(authorization: string | undefined): void {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    const expiresAt = match ? this.tokens.get(match[1]) : undefined;
    if (expiresAt === undefined || expiresAt <= Date.now()) throw RouteeApiError.unauthorized();
  }

  revokeAll(): void {
    this.tokens.clear();
  }

  resetCount(): void {
    this.issued = 0;
  }

  private credentialsMatch(authorization: string | undefined): boolean {
    const match = /^Basic\s+(\S+)$/i.exec(authorization ?? '');
    if (!match) return false;
    const given = Buffer.from(Buffer.from(match[1], 'base64').toString('utf8'));
    const expected = Buffer.from(`${this.options.appId}:${this.options.appSecret}`);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
