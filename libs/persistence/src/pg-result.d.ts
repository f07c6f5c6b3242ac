// pg's row builder (pg/lib/result.js): not part of @types/pg; only what pg-row-shape.ts touches
declare module 'pg/lib/result.js' {
  interface FieldDescription {
    name: string;
    dataTypeID: number;
    format?: 'text' | 'binary';
  }
  type TypeParser = (value: string) => unknown;
  export default class Result {
    fields: FieldDescription[];
    _parsers: TypeParser[] | undefined;
    _types: { getTypeParser(oid: number, format: string): TypeParser } | undefined;
    _prebuiltEmptyResultObject: Record<string, null> | null;
    addFields(fieldDescriptions: FieldDescription[]): void;
  }
}
