// pg's internals the modules here replace parts of: not part of @types/pg; only what they touch

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

declare module 'pg/lib/utils.js' {
  type QueryConfig = Record<string, unknown>;
  const utils: {
    normalizeQueryConfig(config: string | QueryConfig, values?: unknown, callback?: unknown): QueryConfig;
  };
  export default utils;
}
