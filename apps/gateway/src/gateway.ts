import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { Logger, type LoggerService, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { GatewayConfig } from '@app/config';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '@app/persistence';
import { routeeCallbackUrl } from '@app/engine';
import { RouteeClient } from '@app/routee';
import { startSandbox, type RunningSandbox, type SandboxOptions } from '@app/routee-sandbox/sandbox';
import { AppModule } from './app.module';
import { ApiKeyService } from './auth/api-key.service';
import { isFailoverApi } from './common/api-exception.filter';
import { registerHttpHardening } from './common/http-hardening';
import { applySecurityHeaders } from './common/security-headers';
import { RedactingLogger, redact, secretsOf } from './common/redacting-logger';
import { createValidationPipe } from './common/validation';
import { platformCode } from './failover-api/platform-error';
import { buildOpenApiDocument } from './openapi/openapi-document';
import { registerRequestHooks, type RequestHooks } from './logging/access-log';
import { requestIdOf } from './logging/request-id';
import { type AccessLine, GatewayLogSink, type LogStream } from './logging/log-sink';
import { Drain } from './shutdown/drain';
import { drainRequests } from './shutdown/graceful-shutdown';

export interface StartOptions {
  /** listen on config.port (false: tests use app.getHttpServer() / inject) */
  listen?: boolean;
  /** sandbox settings when the built-in sandbox is used */
  sandbox?: SandboxOptions;
  /** log levels for the console logger, false for none, or a logger of one's own (the log-privacy suite captures lines with one) */
  logger?: false | LogLevel[] | LoggerService;
  /** where the gateway's own log lines (LOG_FORMAT) go, when `logger` is unset or levels: stdout and stderr by default */
  logOutput?: (line: string, stream: LogStream) => void;
  /** create and print a dev key when no key exists anywhere */
  devKey?: boolean;
}

export interface RunningGateway {
  app: NestFastifyApplication;
  config: GatewayConfig;
  /** base URL when listening */
  url?: string;
  /** the embedded sandbox, when ROUTEE_APP_ID is unset */
  sandbox?: RunningSandbox;
  devKey?: string;
  close(): Promise<void>;
}

/** 64 KiB: a two-step flow is well under 4 KiB */
export const BODY_LIMIT = 64 * 1024;

/**
 * Fastify's router answers a path parameter over 100 characters with its own
 * 414 before any handler runs; an id that long is just an unknown id
 * (GET /otp/failover/{id} answers 404), so the router lets it through.
 */
const MAX_PARAM_LENGTH = 8 * 1024;

/** What the router refuses before Nest sees the request (a malformed %-escape, an over-long parameter), in the one error shape. */
function routerError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
  hooks: RequestHooks | undefined,
): void {
  applySecurityHeaders(request, reply); // no onSend hook runs for these
  const detail = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'URL parameter too long' : 'malformed URL';
  const status = error.statusCode ?? 400;
  // each surface its own error body (ApiExceptionFilter)
  const answer = () =>
    void reply
      .code(status)
      .send(isFailoverApi(request) ? { code: platformCode(status), developerMessage: detail } : { detail });
  // nor any request hook: the request id and the access line come from here
  if (hooks) hooks.answerRefusedByRouter(request, reply, answer);
  else answer();
}

/**
 * Starts everything the gateway needs: Postgres (DATABASE_URL or embedded),
 * the Routee sandbox when no credentials are set, the Nest app with its one
 * validation pipe, error filter and Swagger UI. Used by main.ts and the tests.
 */
export async function startGateway(given: GatewayConfig, options: StartOptions = {}): Promise<RunningGateway> {
  const config = resolveCodeSecret(given);
  // One logger instance, set globally up front: Nest keeps the logger statically, and an
  // app created with `logger: false` (the in-process sandbox) would otherwise mute ours.
  const sink =
    options.logger === false
      ? false
      : options.logger === undefined || Array.isArray(options.logger)
        ? new GatewayLogSink({
            format: config.logFormat,
            levels: options.logger ?? ['log', 'warn', 'error'],
            write: options.logOutput,
          })
        : options.logger;
  // every line, ours and the libraries', passes the redactor: no secret, key, token or full phone number gets written
  const secrets = secretsOf(config);
  const clean = (text: string) => redact(text, secrets);
  const appLogger = sink === false ? false : new RedactingLogger(sink, secrets);
  const useAppLogger = () => Logger.overrideLogger(appLogger);
  useAppLogger();
  const log = new Logger('Gateway');
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const fn of closers.reverse()) await fn().catch((err) => log.error(String(err)));
  };
  try {
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      mkdirSync(config.dataDir, { recursive: true });
      const db: EmbeddedDatabase = await startEmbeddedDatabase({
        dataDir: join(config.dataDir, 'postgres'),
        port: 0,
        attachIfRunning: true,
      });
      closers.push(() => db.stop());
      databaseUrl = db.url;
      log.log(`embedded Postgres on port ${db.port}, data in ${join(config.dataDir, 'postgres')}`);
    }

    let routeeConfig = config.routee;
    let sandbox: RunningSandbox | undefined;
    if (config.sandboxMode) {
      // what an operator does in Routee's portal for a real application: point its Viber callback URL at us
      // (/viber/otp takes no callback per message)
      const viberCallbackUrl = config.publicUrl
        ? routeeCallbackUrl(config.publicUrl, 'viber', config.callbackToken)
        : undefined;
      sandbox = await startSandbox({ port: 0, viberCallbackUrl, ...options.sandbox });
      closers.push(() => sandbox!.close());
      useAppLogger();
      routeeConfig = {
        ...routeeConfig,
        authUrl: sandbox.url,
        apiUrl: sandbox.url,
        appId: sandbox.appId,
        appSecret: sandbox.appSecret,
      };
      log.warn(
        `ROUTEE_APP_ID is not set: using the built-in Routee SANDBOX at ${sandbox.url}; no real message is sent`,
      );
    }
    if (config.publicUrl && !config.sandboxMode) {
      // /viber/otp takes no callback per message: Routee posts Viber reports to the URL set on the application
      log.log(
        `Viber OTP delivery reports: set the Routee application's Viber callback URL to ${config.publicUrl}/routee/callbacks/viber with the query parameter token set to ROUTEE_CALLBACK_TOKEN (README "Running against the real Routee")`,
      );
      if (!config.callbackTokenSet) {
        log.warn(
          'PUBLIC_URL is set but ROUTEE_CALLBACK_TOKEN is not: the token is new at every start, so the callback URL set on the Routee application stops working at the next one',
        );
      }
    }
    const routee = new RouteeClient({
      authUrl: routeeConfig.authUrl,
      apiUrl: routeeConfig.apiUrl,
      appId: routeeConfig.appId!,
      appSecret: routeeConfig.appSecret!,
      connectTimeoutMs: routeeConfig.connectTimeoutMs,
      requestTimeoutMs: routeeConfig.requestTimeoutMs,
      circuitFailureThreshold: routeeConfig.circuitThreshold,
      circuitOpenMs: routeeConfig.circuitOpenMs,
      onCircuitChange: (state, reason) =>
        state === 'open'
          ? new Logger('Routee').warn(`circuit open: ${reason}; sends are queued, polling pauses`)
          : new Logger('Routee').log(`circuit ${state}: ${reason}`),
    });
    closers.push(() => routee.close());

    const drain = new Drain();
    // set once the hooks are registered, on the app the adapter is created for
    const requestHooks: { current?: RequestHooks } = {};
    const app = await NestFactory.create<NestFastifyApplication>(
      AppModule.forRoot({ config, databaseUrl, routee, drain }),
      // forceCloseConnections: close() ends idle keep-alive sockets instead of waiting for them (Routee's callbacks keep some open)
      new FastifyAdapter({
        bodyLimit: BODY_LIMIT,
        trustProxy: false,
        forceCloseConnections: true,
        routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
        // request.id, returned as X-Request-Id and put on the request's log lines (access-log.ts)
        genReqId: (raw: IncomingMessage) => requestIdOf(raw.headers['x-request-id'], clean),
        frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) =>
          routerError(error, request, reply, requestHooks.current),
      }),
      { logger: appLogger, abortOnError: false },
    );
    closers.push(() => app.close());
    app.useGlobalPipes(createValidationPipe());
    registerHttpHardening(app.getHttpAdapter().getInstance());
    requestHooks.current = registerRequestHooks(app.getHttpAdapter().getInstance(), {
      access: accessLog(sink, appLogger),
      drain,
    });
    setupSwagger(app);
    await app.init();

    const devKey = options.devKey ? await ensureDevKey(app, config) : undefined;
    let url: string | undefined;
    if (options.listen) {
      await app.listen({ port: config.port, host: '0.0.0.0' });
      const address = app.getHttpServer().address();
      url = `http://localhost:${typeof address === 'object' && address ? address.port : config.port}`;
    }
    // runs first when closing (a start that failed has nothing to drain): readiness 503, SHUTDOWN_GRACE_MS, the
    // requests in flight waited for; then the app closes (webhooks, worker, rollup, then the pool) and the rest
    closers.push(() => drainRequests(drain, config.shutdown));
    return { app, config, url, sandbox, devKey, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The access line's writer: the sink's own (one JSON.stringify), a plain line for a logger of one's own, or none. */
function accessLog(sink: false | LoggerService, appLogger: false | LoggerService): (line: AccessLine) => void {
  if (sink instanceof GatewayLogSink) return (line) => sink.access(line);
  if (appLogger === false) return () => undefined;
  return (line) =>
    appLogger.log(`${line.method} ${line.route ?? '(no route)'} ${line.status} ${Math.round(line.ms)} ms`, 'Http');
}

function setupSwagger(app: NestFastifyApplication): void {
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
  });
}

/**
 * CODE_SECRET, or the one kept in <dataDir>/code-secret, created on the first
 * start (0600; replicas started together from one DATA_DIR agree on it: the
 * first to create the file wins). Replicas on several machines need CODE_SECRET
 * set, the same for all: a code hashed by one is checked by another.
 */
export function resolveCodeSecret(config: GatewayConfig): GatewayConfig {
  if (config.verification.codeSecret) return config;
  const file = join(config.dataDir, 'code-secret');
  mkdirSync(config.dataDir, { recursive: true });
  try {
    writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const codeSecret = readFileSync(file, 'utf8').trim();
  return { ...config, verification: { ...config.verification, codeSecret } };
}

/**
 * With no key anywhere, creates one named "dev" and keeps it in <dataDir>/dev-api-key
 * so that every start can print it. Returns the key to print, if any.
 */
async function ensureDevKey(app: NestFastifyApplication, config: GatewayConfig): Promise<string | undefined> {
  const keys = app.get(ApiKeyService);
  const file = join(config.dataDir, 'dev-api-key');
  if (existsSync(file)) {
    const saved = readFileSync(file, 'utf8').trim();
    if (await keys.isActive(saved)) return saved;
  }
  if (await keys.anyKeyConfigured()) return undefined;
  const { key } = await keys.create('dev');
  try {
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(file, `${key}\n`, { mode: 0o600 });
  } catch (err) {
    // read-only image: the key still works, it is just printed this once
    new Logger('Gateway').warn(
      `could not keep the dev key in ${file}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  return key;
}
