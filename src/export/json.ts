/**
 * JSON with every object's keys in sorted order, so that the same value is
 * always the same text whatever order it was built in.
 *
 * @module
 */

/** A JSON value. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/**
 * `value` as JSON on one line, each object's keys sorted by UTF-16 code
 * units (the order `Array.prototype.sort` gives).
 *
 * @example
 * ```ts
 * import { sortedJson } from "@runrec/runrec";
 * sortedJson({ b: 1, a: [{ d: 2, c: 3 }] }); // '{"a":[{"c":3,"d":2}],"b":1}'
 * ```
 */
export function sortedJson(value: Json): string {
  return JSON.stringify(sortKeys(value));
}

/**
 * `value` as JSON indented by two spaces, keys sorted as by {@linkcode sortedJson}.
 *
 * @example
 * ```ts
 * import { sortedJsonPretty } from "@runrec/runrec";
 * sortedJsonPretty({ b: 1, a: 2 }); // '{\n  "a": 2,\n  "b": 1\n}'
 * ```
 */
export function sortedJsonPretty(value: Json): string {
  return JSON.stringify(sortKeys(value), null, 2);
}

function sortKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const sorted: { [key: string]: Json } = {};
  for (const key of Object.keys(value).sort()) sorted[key] = sortKeys(value[key]);
  return sorted;
}
