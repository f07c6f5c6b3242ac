import { types } from 'pg';
import Result from 'pg/lib/result.js';

const SHAPED = Symbol('gateway.shapedRows');
/** column lists kept per number of columns (one list per statement, in practice): far more than the stores have */
const MAX_SHAPES_PER_COUNT = 100;

type RawRow = (string | null)[];
type Parser = (value: string) => unknown;
type BuildRow = (parsers: Parser[], raw: RawRow) => Record<string, unknown>;

interface Shape {
  /** the column list: names, and whether each is binary */
  names: string[];
  binary: boolean[];
  /** pg's empty row (parseRow's fallback copies it): every column defined, in order */
  empty: Record<string, null>;
  /** the row as one object literal of this column list, when it can be written as one */
  build: BuildRow | null;
}

type ShapedResult = Result & {
  _buildRow?: BuildRow | null;
  parseRow(raw: RawRow): Record<string, unknown>;
};

/**
 * What pg spends building each row, cut to a fraction (bench/README):
 *
 * - The empty row pg builds for every result (Postgres describes the columns
 *   on every query) is a spread of a null-prototype object, its guard against
 *   a column named `__proto__` (brianc/node-postgres#3656). V8 keeps such an
 *   object in dictionary mode, and spreading it is slow: 31 µs for the 46
 *   columns of a flow with its steps (FLOW_STEP_COLUMNS).
 * - Each row is then filled by one keyed store per column, from one place in
 *   pg for every statement: with tens of column lists, V8's caches for that
 *   store miss, and a row of 46 columns took 15 µs (1.5 µs with one list).
 *
 * Here, once per column list: the empty row by JSON.parse (a fast-mode object,
 * each column an own property, never an assignment), and a function that
 * builds the whole row as one object literal, its keys written with
 * JSON.stringify (a JSON string is a JavaScript string literal: no column name
 * can be anything but a key). A list with a `__proto__` column (in a literal
 * that key sets the prototype) or a binary column keeps pg's own parseRow.
 * The rows are what pg's are: the same keys in the same order (a repeated
 * name: its first position, its last value), with Object.prototype. The
 * type parsers are still looked up per query, as pg does.
 */
export function useShapedRows(): void {
  const proto = Result.prototype as ShapedResult & { [SHAPED]?: true };
  if (proto[SHAPED]) return;
  proto[SHAPED] = true;
  // by number of columns: a list is found by comparing names, with nothing built for the lookup
  const shapes = new Map<number, Shape[]>();
  const parseRowOfPg = proto.parseRow;
  proto.addFields = function addFields(this: ShapedResult, fields) {
    this.fields = fields;
    if (fields.length) this._parsers = new Array(fields.length);
    const parsers = this._types ?? types;
    for (let i = 0; i < fields.length; i++)
      this._parsers![i] = parsers.getTypeParser(fields[i].dataTypeID, fields[i].format || 'text');
    let kept = shapes.get(fields.length);
    if (!kept) shapes.set(fields.length, (kept = []));
    let shape = kept.find((candidate) => isShapeOf(candidate, fields));
    if (!shape) {
      if (kept.length >= MAX_SHAPES_PER_COUNT) kept.shift();
      shape = shapeOf(fields);
      kept.push(shape);
    }
    // pg copies it for each row and never writes to it: one object serves every result of the list
    this._prebuiltEmptyResultObject = shape.empty;
    this._buildRow = shape.build;
  };
  proto.parseRow = function parseRow(this: ShapedResult, raw: RawRow) {
    return this._buildRow ? this._buildRow(this._parsers as Parser[], raw) : parseRowOfPg.call(this, raw);
  };
}

function shapeOf(fields: Result['fields']): Shape {
  const keys = fields.map((field) => JSON.stringify(field.name));
  const empty = JSON.parse(`{${keys.map((key) => `${key}:null`).join(',')}}`) as Record<string, null>;
  const literal = fields.some((field) => field.name === '__proto__' || isBinary(field))
    ? null
    : `{${keys.map((key, i) => `${key}: r[${i}] === null ? null : p[${i}](r[${i}])`).join(',')}}`;
  const build = literal === null ? null : (new Function('p', 'r', `return ${literal};`) as BuildRow);
  return { names: fields.map((field) => field.name), binary: fields.map(isBinary), empty, build };
}

function isShapeOf(shape: Shape, fields: Result['fields']): boolean {
  for (let i = 0; i < fields.length; i++)
    if (shape.names[i] !== fields[i].name || shape.binary[i] !== isBinary(fields[i])) return false;
  return true;
}

function isBinary(field: Result['fields'][number]): boolean {
  return field.format === 'binary';
}
