import { types } from 'pg';
import Result from 'pg/lib/result.js';

const SHAPED = Symbol('gateway.shapedRows');
/** column lists seen (one per statement, in practice): far more than the stores' statements */
const MAX_SHAPES = 1000;

/**
 * pg builds every result's empty row as `{ ...Object.create(null) with a
 * property per column }` (the null prototype is its guard against a column
 * named `__proto__`, brianc/node-postgres#3656). V8 keeps a null-prototype
 * object in dictionary mode, and spreading one is slow: 31 µs for the 46
 * columns of a flow with its steps (FLOW_STEP_COLUMNS), against 4 µs when
 * the same object is built in fast mode (bench/README: ~10 % of a GET's CPU).
 * It runs for every query, as Postgres describes the columns each time.
 *
 * The empty row is built here by JSON.parse instead, once per column list:
 * a fast-mode object whose properties are all defined (never assigned, so
 * a `__proto__` column is an own property, as in pg), in column order, with
 * Object.prototype, which is what pg's spread gives. The type parsers are
 * looked up per query, as pg does (a parser set later still applies).
 */
export function useShapedRows(): void {
  const proto = Result.prototype as Result & { [SHAPED]?: true };
  if (proto[SHAPED]) return;
  proto[SHAPED] = true;
  const shapes = new Map<string, Record<string, null>>();
  proto.addFields = function addFields(this: Result, fields) {
    this.fields = fields;
    if (fields.length) this._parsers = new Array(fields.length);
    const parsers = this._types ?? types;
    let key = '';
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i];
      this._parsers![i] = parsers.getTypeParser(field.dataTypeID, field.format || 'text');
      key += `${field.name}\0`;
    }
    let shape = shapes.get(key);
    if (!shape) {
      if (shapes.size >= MAX_SHAPES) shapes.clear();
      shape = JSON.parse(`{${fields.map((field) => `${JSON.stringify(field.name)}:null`).join(',')}}`) as Record<
        string,
        null
      >;
      shapes.set(key, shape);
    }
    // pg copies it for each row (parseRow) and never writes to it: one object serves every result of the list
    this._prebuiltEmptyResultObject = shape;
  };
}
