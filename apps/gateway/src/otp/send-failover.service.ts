import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { GatewayConfig } from '@app/config';
import { CODE_PLACEHOLDER, codeHash, FlowEngine, generateCode, WebhookService } from '@app/engine';
import { FlowStore, IdempotencyStore, type FlowWithSteps, type StepDefinition } from '@app/persistence';
import { GatewayError, type FieldProblem } from '../common/gateway-error';
import { checkIdempotencyKey, requestHashOf, sendOnce } from '../common/idempotent-send';
import type { Caller } from '../auth/api-key.service';
import { GATEWAY_CONFIG } from '../gateway-config.provider';
import { PumpingGuard } from './pumping-guard';
import type { FlowStepDto, SendFailoverDto } from './dto/send-failover.dto';
import type { SendFailoverResponseDto, SentStepDto } from './dto/send-failover-response.dto';
import { findTemplate, findTemplateByType, type TemplateParam } from '@app/routee';

const TEMPLATE_PARAMS: readonly TemplateParam[] = [
  'businessPlatformName',
  'codeValidityTime',
  'pinType',
  'businessPlatformActionName',
  'codeReason',
];

@Injectable()
export class SendFailoverService {
  constructor(
    private readonly engine: FlowEngine,
    private readonly idempotency: IdempotencyStore,
    private readonly flows: FlowStore,
    private readonly webhooks: WebhookService,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly pumping: PumpingGuard,
  ) {}

  async send(
    dto: SendFailoverDto,
    caller: Caller,
    idempotencyKey: string | undefined,
    requestId?: string,
  ): Promise<SendFailoverResponseDto> {
    await this.pumping.check(dto, requestId);
    const { definition, code } = placeCode(dto, toDefinition(dto));
    const refused = destinationProblems(dto, this.config.limits.allowedCountryCodes);
    if (refused.length > 0) throw new GatewayError('validation', 'validation failed', refused);
    const callbackUrl = dto.callback?.url ?? null;
    if (callbackUrl) {
      const verdict = await this.webhooks.checkUrl(callbackUrl);
      if (!verdict.ok)
        throw GatewayError.field(
          ['body', 'callback', 'url'],
          `callback.url is refused: ${verdict.reason}`,
          'value_error.url',
        );
    }
    const start = (id: string) => this.start(id, definition, callbackUrl, caller, code, requestId);
    if (idempotencyKey === undefined) return start(randomUUID());

    checkIdempotencyKey(idempotencyKey);
    const { claimMs, waitMs } = this.config.idempotency;
    return sendOnce(
      { idempotency: this.idempotency, flows: this.flows, claimMs, waitMs },
      caller.keyId,
      idempotencyKey,
      // a caller's pin counts as its HMAC (the record keeps no code), a drawn one as how it is drawn
      requestHashOf({ definition, callbackUrl, code: code && this.idempotentFormOf(code, dto) }),
      { start, answer: toResponse },
    );
  }

  /** the per-phone limit refuses in the statement that would store the flow (PhoneRateLimitedError, a 429) */
  private async start(
    id: string,
    definition: StepDefinition[],
    callbackUrl: string | null,
    caller: Caller,
    code: FlowCode | null,
    requestId: string | undefined,
  ): Promise<SendFailoverResponseDto> {
    return toResponse(
      await this.engine.startFlow({
        id,
        kind: 'otp',
        definition,
        callbackUrl,
        callbackStrategy: null,
        apiKeyId: caller.keyId,
        requestId,
        ...(code && { code: { value: code.value, ttlSec: code.ttlSec ?? this.config.verification.codeTtlSec } }),
      }),
    );
  }

  private idempotentFormOf(code: FlowCode, dto: SendFailoverDto): unknown {
    if (code.drawn) return { drawn: dto.code ?? 'auto' };
    return codeHash(this.config.verification.codeSecret ?? '', 'idempotency', code.value);
  }
}

/** the flow's code: the caller's pin or one the gateway drew */
interface FlowCode {
  value: string;
  drawn: boolean;
  /** the request's code.ttl, if it gave one */
  ttlSec?: number;
}

/**
 * The code the flow carries, and the steps with CODE_PLACEHOLDER where it
 * goes (CONTRACT section 11): the Viber template's pin, and the SMS body's
 * `{code}` (a drawn code needs one there; a caller's pin written into the
 * body is taken out of it), so that the stored definition holds no code.
 * `pin: "auto"` or a top-level `code` has the gateway draw it with the CSPRNG.
 */
export function placeCode(
  dto: SendFailoverDto,
  definition: StepDefinition[],
): { definition: StepDefinition[]; code: FlowCode | null } {
  const pin = definition.find((def) => def.type === 'ViberOtp')?.templateParams?.pin;
  const drawn = dto.code !== undefined || pin === 'auto';
  const value = drawn
    ? generateCode(dto.code?.length ?? 6, dto.code?.alphabet ?? 'numeric')
    : pin === undefined
      ? null
      : String(pin);
  const problems: FieldProblem[] = [];
  const placed = definition.map((def): StepDefinition => {
    if (def.type === 'ViberOtp' && def.templateParams?.pin !== undefined)
      return { ...def, templateParams: { ...def.templateParams, pin: CODE_PLACEHOLDER } };
    if (def.type !== 'Sms') return def;
    const { body } = def.message;
    const loc = ['body', 'flow', dto.flow.findIndex((step) => step.order === def.order), 'message', 'body'];
    if (value === null || drawn) {
      if (value === null && body.includes(CODE_PLACEHOLDER))
        problems.push({
          loc,
          msg: 'message.body has {code}, but the flow has no code: give pin, or code',
          type: 'value_error',
        });
      if (drawn && !body.includes(CODE_PLACEHOLDER))
        problems.push({
          loc,
          msg: 'message.body must contain {code}: the gateway draws the code and puts it there',
          type: 'value_error',
        });
      return def;
    }
    return { ...def, message: { ...def.message, body: body.replaceAll(value, CODE_PLACEHOLDER) } };
  });
  if (problems.length > 0) throw new GatewayError('validation', 'validation failed', problems);
  return { definition: placed, code: value === null ? null : { value, drawn, ttlSec: dto.code?.ttl } };
}

/** Checks what the DTO can't express alone and returns the steps in send order. */
export function toDefinition(dto: SendFailoverDto): StepDefinition[] {
  const problems: FieldProblem[] = [];
  const seen = new Map<number, number>();
  dto.flow.forEach((step, i) => {
    const first = seen.get(step.order);
    if (first !== undefined)
      problems.push({
        loc: ['body', 'flow', i, 'order'],
        msg: `order ${step.order} is used twice (steps ${first} and ${i})`,
        type: 'value_error.duplicate',
      });
    seen.set(step.order, i);
    if (step.type === 'ViberOtp') problems.push(...templateProblems(step, i));
  });
  const ordered = dto.flow.map((step, index) => ({ step, index })).sort((a, b) => a.step.order - b.step.order);
  ordered.slice(1).forEach(({ step, index }) => {
    if (step.failoverOnDelivered) {
      problems.push({
        loc: ['body', 'flow', index, 'failoverOnDelivered'],
        msg: 'failoverOnDelivered only applies to the primary (lowest order) step',
        type: 'value_error',
      });
    }
  });
  if (problems.length > 0) throw new GatewayError('validation', 'validation failed', problems);
  return ordered.map(({ step }) => stepDefinition(step));
}

/** ALLOWED_COUNTRY_CODES: every step's destination must start with one of the calling codes (none configured: any) */
export function destinationProblems(dto: SendFailoverDto, allowed: readonly string[]): FieldProblem[] {
  if (allowed.length === 0) return [];
  return dto.flow.flatMap((step, i) =>
    allowed.some((code) => step.to.startsWith(code))
      ? []
      : [
          {
            loc: ['body', 'flow', i, 'to'],
            msg: `destination country not allowed: to must start with one of the calling codes ${allowed.map((c) => `+${c}`).join(', ')}`,
            type: 'value_error.country',
          },
        ],
  );
}

function templateProblems(step: FlowStepDto, i: number): FieldProblem[] {
  const template = findTemplate(step.templateId ?? '');
  if (!template) {
    return [
      {
        loc: ['body', 'flow', i, 'templateId'],
        msg: 'templateId is not a known Viber OTP template (see GET /otp/templates)',
        type: 'value_error.template',
      },
    ];
  }
  const given = templateParams(step);
  const problems: FieldProblem[] = [];
  if (step.templateType !== undefined && step.templateType !== template.type) {
    const named = findTemplateByType(step.templateType);
    problems.push({
      loc: ['body', 'flow', i, 'templateType'],
      msg: `templateType ${step.templateType} names the template "${named?.name}" (${named?.id}), but templateId is "${template.name}", whose templateType is ${template.type}`,
      type: 'value_error.template',
    });
  }
  for (const param of template.params) {
    if (given[param] === undefined) {
      problems.push({
        loc: ['body', 'flow', i, param],
        msg: `template "${template.name}" requires ${param}`,
        type: 'missing',
      });
    }
  }
  for (const param of Object.keys(given)) {
    if (!template.params.includes(param as TemplateParam)) {
      const field = param === 'businessPlatformName' && step.businessName !== undefined ? 'businessName' : param;
      problems.push({
        loc: ['body', 'flow', i, field],
        msg: `${field} is not a parameter of template "${template.name}"`,
        type: 'extra_forbidden',
      });
    }
  }
  if (
    step.businessName !== undefined &&
    step.businessPlatformName !== undefined &&
    step.businessName !== step.businessPlatformName
  ) {
    problems.push({
      loc: ['body', 'flow', i, 'businessName'],
      msg: 'businessName and businessPlatformName differ; send one',
      type: 'value_error',
    });
  }
  return problems;
}

function templateParams(step: FlowStepDto): Record<string, string | number> {
  const params: Record<string, string | number> = {};
  if (step.pin !== undefined) params.pin = step.pin;
  const withAlias = { ...step, businessPlatformName: step.businessPlatformName ?? step.businessName };
  for (const name of TEMPLATE_PARAMS) {
    const value = withAlias[name];
    if (value !== undefined) params[name] = value;
  }
  return params;
}

function stepDefinition(step: FlowStepDto): StepDefinition {
  const { type, to, order, ttl, label, from, message, senderInfoTrackingId, templateId } = step;
  // keys in this order: the Idempotency-Key's request hash is taken over the definition's JSON
  const common = { to, order, ttl, ...(label !== undefined && { label }) };
  // RequiredFor has refused a step without its type's fields: these checks tell the compiler
  if (type === 'Sms' && from !== undefined && message !== undefined)
    return { type, ...common, from, message: { body: message.body } };
  if (type === 'ViberOtp' && senderInfoTrackingId !== undefined && templateId !== undefined)
    return {
      type,
      ...common,
      failoverOnDelivered: step.failoverOnDelivered ?? false,
      senderInfoTrackingId,
      templateId: templateId.toLowerCase(),
      templateLang: step.templateLang ?? 'en',
      ...(step.templateType !== undefined && { templateType: step.templateType }),
      templateParams: templateParams(step),
    };
  throw new GatewayError('validation', `a ${type} step needs its type's fields`);
}

export function toResponse({ flow, steps }: FlowWithSteps): SendFailoverResponseDto {
  const sent = steps.filter((s) => s.trackingId !== null);
  const last = sent[sent.length - 1];
  const response: SendFailoverResponseDto = {
    flowId: flow.id,
    status: flow.status,
    statusCode: flow.statusCode,
    type: last ? (last.channel === 'viber' ? 'Viber' : 'Sms') : null,
    flow: flow.definition.map((def, i) =>
      echo(def, steps.find((s) => s.role === (i === 0 ? 'primary' : 'failover'))?.trackingId ?? null),
    ),
    createdAt: flow.createdAt.toISOString(),
  };
  if (flow.status === 'Failed') response.error = flow.error ?? 'failed';
  return response;
}

/** the step as accepted, keys in the request's order (jsonb does not keep key order) */
function echo(def: StepDefinition, trackingId: string | null): SentStepDto {
  if (def.type !== 'ViberOtp' && def.type !== 'Sms') throw new Error(`a Failover OTP flow has no ${def.type} step`);
  const { type, to, order, ttl, label } = def;
  const fields =
    def.type === 'ViberOtp'
      ? {
          type,
          to,
          order,
          ttl,
          label,
          failoverOnDelivered: def.failoverOnDelivered,
          senderInfoTrackingId: def.senderInfoTrackingId,
          templateId: def.templateId,
          templateLang: def.templateLang,
          templateType: def.templateType,
          ...def.templateParams,
          trackingId,
        }
      : { type, to, order, ttl, label, from: def.from, message: def.message, trackingId };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as unknown as SentStepDto;
}
