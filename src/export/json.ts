/**
 * JSON with every object's keys in sorted order, so that the same value is
 * always the same text whatever order it was built in.
 *
 * @module
 */

import { InputError } from "../errors.ts";
import { isPlain, shownValue } from "../argument_kinds.ts";

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
  return JSON.stringify(sortKeys(value, new Set(), []));
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
  return JSON.stringify(sortKeys(value, new Set(), []), null, 2);
}

/**
 * `value` with each object's keys sorted. Throws {@linkcode InputError} naming
 * where `value` holds what is no JSON value (a function, a Map, a Date, a
 * cycle, a number JSON has not): JSON.stringify would drop it, write `null`
 * or `{}`, or overflow the stack. `undefined` is one only as an object's
 * field, which JSON leaves out. `within` are the objects `value` is inside,
 * `path` the keys that lead to it (named only in the error).
 */
function sortKeys(value: Json | undefined, within: Set<object>, path: (string | number)[]): Json {
  if (typeof value === "string" || typeof value === "boolean" || value === null) return value;
  if (typeof value === "number" && Number.isFinite(value)) return value;
  const container = typeof value === "object" && (Array.isArray(value) || isPlain(value));
  if (!container || within.has(value)) {
    const what = container ? "an object that holds itself (a cycle)" : shownValue(value);
    const where = path.map((key) => typeof key === "number" ? `[${key}]` : `.${key}`).join("");
    throw new InputError(`value${where}: ${what} is no JSON value`);
  }
  within.add(value);
  let sorted: Json;
  if (Array.isArray(value)) {
    // Array.from: a hole is said, not written as null.
    sorted = Array.from(value, (item, at) => {
      path.push(at);
      const kept = sortKeys(item, within, path);
      path.pop();
      return kept;
    });
  } else {
    sorted = {};
    for (const key of Object.keys(value).sort()) {
      if (value[key] === undefined) continue;
      path.push(key);
      sorted[key] = sortKeys(value[key], within, path);
      path.pop();
    }
  }
  within.delete(value);
  return sorted;
}
