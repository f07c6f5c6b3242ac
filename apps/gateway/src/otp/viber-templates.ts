/**
 * Routee's Viber OTP template inventory (CONTRACT.md section 7). Every template
 * takes `pin`; the others are required where listed.
 */
export interface ViberTemplate {
  id: string;
  name: string;
  /** parameters the template requires, pin included */
  params: TemplateParam[];
}

export type TemplateParam = 'pin' | 'businessPlatformName' | 'codeValidityTime' | 'pinType' | 'businessPlatformActionName' | 'codeReason';

export const VIBER_TEMPLATES: readonly ViberTemplate[] = Object.freeze([
  { id: '0aac888f-2ee2-4112-9659-1755a951966a', name: 'Basic', params: ['pin'] },
  { id: 'c2cdc028-a48b-4187-bbaf-3aaa137b6e23', name: 'Basic 5 min', params: ['pin'] },
  { id: 'c33cccaf-735f-4d62-8383-a76bf4999e2d', name: 'Business name', params: ['pin', 'businessPlatformName'] },
  { id: 'bed0942f-e07e-4879-834b-29cc4cf3ec35', name: 'Validity', params: ['pin', 'codeValidityTime'] },
  { id: '60d67b38-b9fb-444a-80e6-754447e010c6', name: 'Type + validity', params: ['pin', 'pinType', 'codeValidityTime'] },
  { id: '6c929cef-29b4-4349-bc9d-2a07bdbb6e43', name: 'Business + validity', params: ['pin', 'businessPlatformName', 'codeValidityTime'] },
  { id: '82ba31a3-db42-4e87-82e8-33fa92b9e5ed', name: 'Type of code', params: ['pin', 'pinType'] },
  { id: '210ee8a9-1ed5-43cd-96e4-65bba311ab40', name: 'Action/platform', params: ['pin', 'businessPlatformActionName'] },
  { id: 'be56d97b-2a33-4c89-ac5f-f555a2c827d9', name: 'Business + reason', params: ['pin', 'businessPlatformName', 'codeReason'] },
]);

const BY_ID = new Map(VIBER_TEMPLATES.map((t) => [t.id.toLowerCase(), t]));

export function findTemplate(id: string): ViberTemplate | undefined {
  return BY_ID.get(id.toLowerCase());
}
