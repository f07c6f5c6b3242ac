import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, operations, paths } from './schema';

/**
 * A typed client of the gateway: every path, request body, answer and error body as the gateway's OpenAPI
 * document (/docs-json, kept here as openapi.json) describes them. schema.d.ts is generated from it by
 * `npm run client:generate` (openapi-typescript); the calls go through openapi-fetch.
 */
export type GatewayClient = Client<paths>;
export type Schemas = components['schemas'];
export type { components, operations, paths };

export interface GatewayClientOptions extends Omit<ClientOptions, 'baseUrl' | 'headers'> {
  /** the gateway's base URL, e.g. http://localhost:3000 */
  baseUrl: string;
  /** a gateway API key, sent as `Authorization: Bearer <key>` */
  apiKey: string;
}

export function createGatewayClient({ baseUrl, apiKey, ...options }: GatewayClientOptions): GatewayClient {
  return createClient<paths>({ ...options, baseUrl, headers: { Authorization: `Bearer ${apiKey}` } });
}
