import utils from 'pg/lib/utils.js';

const CHEAP = Symbol('gateway.cheapQueryConfigs');

/**
 * pg copies every query's config object before it adds the values to it (so
 * that the caller's object is never changed) with
 * `Object.defineProperties(Object.create(prototype), getOwnPropertyDescriptors(config))`:
 * a copy that keeps accessors and a class's prototype, and took ~9 µs a query
 * in the gateway's profile (bench/README). The stores' statements (`run` in
 * sql/statement.ts) are object literals: data properties and Object.prototype,
 * for which a spread is the same copy. Anything else is still pg's to copy.
 */
export function useCheapQueryConfigs(): void {
  const marked = utils as typeof utils & { [CHEAP]?: true };
  if (marked[CHEAP]) return;
  marked[CHEAP] = true;
  const normalizeOfPg = utils.normalizeQueryConfig;
  utils.normalizeQueryConfig = (config, values, callback) => {
    if (typeof config !== 'object' || config === null || Object.getPrototypeOf(config) !== Object.prototype)
      return normalizeOfPg(config, values, callback);
    // pg's own steps from here, on the copy
    const copy: Record<string, unknown> = { ...config };
    if (values) {
      if (typeof values === 'function') copy.callback = values;
      else copy.values = values;
    }
    if (callback) copy.callback = callback;
    return copy;
  };
}
