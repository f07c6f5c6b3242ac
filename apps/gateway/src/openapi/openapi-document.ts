import type { INestApplication } from '@nestjs/common';
import {
  DocumentBuilder,
  getSchemaPath,
  SwaggerModule,
  type CallbackObject,
  type OpenAPIObject,
  type OperationObject,
  type ParameterObject,
} from '@nestjs/swagger';
import { VERSION } from '../version';

/**
 * The OpenAPI document served at /docs-json, and written by `npm run openapi:export` without a database
 * (export-openapi.ts): one function, so the linted document is the served one.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('OTP failover gateway')
      .setDescription(
        'Send a login one-time password over Viber and fail over to SMS when Viber does not get through. ' +
          'Authorize with a bearer key (printed at start in development, or `npm run keys -- create <name>`).',
      )
      .setVersion(VERSION)
      .setLicense('MIT', 'https://opensource.org/license/mit')
      .addServer('/', 'This gateway (the URL the document was read from)')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'A gateway API key' })
      .build(),
  );
  addWebhookCallbacks(document);
  return document;
}

/** what libs/engine/src/webhooks/webhook-dispatcher.ts sends with every delivery */
const WEBHOOK_HEADERS: ParameterObject[] = [
  {
    name: 'X-Webhook-Id',
    in: 'header',
    required: true,
    description: 'The event id, stable across retries: drop a delivery whose id you have already handled',
    schema: { type: 'string', format: 'uuid', example: '9b2f6a1e-3c4d-4e5f-8a9b-0c1d2e3f4a5b' },
  },
  {
    name: 'X-Webhook-Event',
    in: 'header',
    required: true,
    description:
      'What changed: a next step was handed to Routee (failover.sent), a step status (step.status_changed), ' +
      'or the flow status alone (flow.status_changed)',
    schema: {
      type: 'string',
      enum: ['failover.sent', 'step.status_changed', 'flow.status_changed'],
      example: 'failover.sent',
    },
  },
  {
    name: 'X-Webhook-Attempt',
    in: 'header',
    required: true,
    description: 'The delivery attempt, from 1; a non-2xx answer or no answer is retried with backoff',
    schema: { type: 'integer', minimum: 1, example: 1 },
  },
  {
    name: 'X-Webhook-Signature',
    in: 'header',
    required: false,
    description:
      'Sent when WEBHOOK_SECRET is set: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, one v1= entry ' +
      'per secret (the string as it is) in their order while one is rotated (`t=…,v1=<new>,v1=<old>`). Recompute it ' +
      'over the raw body, accept it when any v1= entry matches (compared in constant time), and refuse a t more ' +
      'than 5 minutes old. New receivers: prefer webhook-signature (Standard Webhooks)',
    schema: {
      type: 'string',
      example: 't=1771243200,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd',
    },
  },
  {
    name: 'webhook-id',
    in: 'header',
    required: true,
    description:
      'Standard Webhooks (https://www.standardwebhooks.com): the event id, the same as X-Webhook-Id, stable across ' +
      'retries; it is signed, so a body replayed under another id fails verification',
    schema: { type: 'string', format: 'uuid', example: '9b2f6a1e-3c4d-4e5f-8a9b-0c1d2e3f4a5b' },
  },
  {
    name: 'webhook-timestamp',
    in: 'header',
    required: true,
    description:
      "Standard Webhooks: this attempt's time in unix seconds; the standard libraries refuse one 5 minutes off",
    schema: { type: 'integer', example: 1771243200 },
  },
  {
    name: 'webhook-signature',
    in: 'header',
    required: false,
    description:
      'Standard Webhooks, sent when WEBHOOK_SECRET is set: `v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.' +
      '<raw body>">`, one space-separated entry per configured secret (rotation). The key: a `whsec_<base64>` secret ' +
      "decoded, any other secret's UTF-8 bytes. Verify with a Standard Webhooks library: `new Webhook(secret)` " +
      "for whsec_ secrets, `new Webhook(secret, { format: 'raw' })` for others",
    schema: {
      type: 'string',
      example: 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4= v1,pF2xJ6BXpuz0JH+HvgVEq46FdDHkQh9xH1ubq8mrOMY=',
    },
  },
  {
    name: 'User-Agent',
    in: 'header',
    required: true,
    description: 'Always otp-failover-gateway',
    schema: { type: 'string', example: 'otp-failover-gateway' },
  },
];

/**
 * The webhooks the gateway POSTs to the send's `callback.url`, as OpenAPI callbacks of the send operations
 * (@nestjs/swagger's ApiCallbacks cannot declare headers). Events of a flow arrive in order; each is retried
 * until a 2xx, then marked dead (GET /otp/failover/{id}/webhooks lists them).
 */
function addWebhookCallbacks(document: OpenAPIObject): void {
  addCallback(document, '/otp/send-failover', 'flowEvent', {
    operationId: 'receiveFlowEvent',
    summary: 'A Failover OTP flow changed: its tracking body, as GET /otp/failover/{id} answers it',
    schema: 'FlowTrackingDto',
  });
  addCallback(document, '/failover', 'failoverEvent', {
    operationId: 'receiveFailoverEvent',
    summary:
      "A Failover flow changed (callback.strategy OnStep) or ended (OnCompletion): its tracking object, as Routee's " +
      'Failover callbacks carry it',
    schema: 'FailoverTrackingDto',
  });
}

function addCallback(
  document: OpenAPIObject,
  path: string,
  name: string,
  event: { operationId: string; summary: string; schema: string },
): void {
  const send = document.paths[path]?.post as OperationObject | undefined;
  if (!send) throw new Error(`no POST ${path} in the OpenAPI document`);
  const callback: CallbackObject = {
    '{$request.body#/callback/url}': {
      post: {
        operationId: event.operationId,
        summary: event.summary,
        // the gateway sends no credentials: a receiver checks X-Webhook-Signature
        security: [],
        description:
          'Sent to callback.url when the flow changes after the send answered, with Content-Type application/json. ' +
          'Answer any 2xx within the webhook timeout; anything else is retried with backoff.',
        parameters: WEBHOOK_HEADERS,
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { $ref: getSchemaPath(event.schema) } } },
        },
        responses: {
          '2XX': { description: 'Received: the event is not sent again' },
          default: { description: 'Not received: the event is retried with backoff, then marked dead' },
        },
      },
    },
  };
  send.callbacks = { ...send.callbacks, [name]: callback };
}
