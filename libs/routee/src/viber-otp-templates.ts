/**
 * Routee's Viber OTP template inventory (https://docs.routee.net/docs/templates-inventory):
 * every template takes `pin`; the others are required where listed, camelCase as
 * Routee names them. Shared by the gateway (validation, GET /otp/templates) and the
 * sandbox (which refuses what Routee would).
 */
export interface ViberTemplate {
  id: string;
  name: string;
  /** Routee's failover-otp `templateType` for this template (docs: sending-an-otp) */
  type: TemplateType;
  /** parameters the template requires, pin included */
  params: TemplateParam[];
}

export type TemplateParam =
  'pin' | 'businessPlatformName' | 'codeValidityTime' | 'pinType' | 'businessPlatformActionName' | 'codeReason';

/** Routee's nine failover-otp template types, in the inventory's order */
export const TEMPLATE_TYPES = [
  'basic',
  'basic_5min',
  'with_business_name',
  'with_validity',
  'with_type_and_validity',
  'with_business_and_validity_hours',
  'with_type',
  'with_action',
  'with_reason',
] as const;
export type TemplateType = (typeof TEMPLATE_TYPES)[number];

export const VIBER_TEMPLATES: readonly ViberTemplate[] = Object.freeze([
  { id: '0aac888f-2ee2-4112-9659-1755a951966a', name: 'Basic', type: 'basic', params: ['pin'] },
  { id: 'c2cdc028-a48b-4187-bbaf-3aaa137b6e23', name: 'Basic 5 min', type: 'basic_5min', params: ['pin'] },
  {
    id: 'c33cccaf-735f-4d62-8383-a76bf4999e2d',
    name: 'Business name',
    type: 'with_business_name',
    params: ['pin', 'businessPlatformName'],
  },
  {
    id: 'bed0942f-e07e-4879-834b-29cc4cf3ec35',
    name: 'Validity',
    type: 'with_validity',
    params: ['pin', 'codeValidityTime'],
  },
  {
    id: '60d67b38-b9fb-444a-80e6-754447e010c6',
    name: 'Type + validity',
    type: 'with_type_and_validity',
    params: ['pin', 'pinType', 'codeValidityTime'],
  },
  {
    id: '6c929cef-29b4-4349-bc9d-2a07bdbb6e43',
    name: 'Business + validity',
    type: 'with_business_and_validity_hours',
    params: ['pin', 'businessPlatformName', 'codeValidityTime'],
  },
  { id: '82ba31a3-db42-4e87-82e8-33fa92b9e5ed', name: 'Type of code', type: 'with_type', params: ['pin', 'pinType'] },
  {
    id: '210ee8a9-1ed5-43cd-96e4-65bba311ab40',
    name: 'Action/platform',
    type: 'with_action',
    params: ['pin', 'businessPlatformActionName'],
  },
  {
    id: 'be56d97b-2a33-4c89-ac5f-f555a2c827d9',
    name: 'Business + reason',
    type: 'with_reason',
    params: ['pin', 'businessPlatformName', 'codeReason'],
  },
]);

/** templateLang values Routee's Viber OTP supports (docs: localization; ISO 639-1, with `br` for Portuguese (Brazil)) */
export const TEMPLATE_LANGUAGES = [
  'ar',
  'be',
  'bg',
  'br',
  'cs',
  'da',
  'de',
  'el',
  'en',
  'es',
  'fa',
  'fi',
  'fr',
  'he',
  'hi',
  'hr',
  'id',
  'it',
  'ja',
  'ko',
  'my',
  'nl',
  'pl',
  'pt',
  'ru',
  'sk',
  'sr',
  'sv',
  'th',
  'tr',
  'uk',
  'vi',
] as const;

const BY_ID = new Map(VIBER_TEMPLATES.map((t) => [t.id.toLowerCase(), t]));

export function findTemplate(id: string): ViberTemplate | undefined {
  return BY_ID.get(id.toLowerCase());
}

export function findTemplateByType(type: string): ViberTemplate | undefined {
  return VIBER_TEMPLATES.find((t) => t.type === type);
}
