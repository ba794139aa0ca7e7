/**
 * What a script's argument may be, checked and said: the kinds of value an option takes, the
 * checks of one argument or an options object against them, and how a wrong value is named in
 * the message. The library's per-function checks (./argument_checks.ts) are built on these; the
 * field table (./schema.ts) uses them too, so this module imports neither.
 *
 * @module
 */
import { InputError } from "./errors.ts";

/** What an option holds: `path` and `text` are strings, `paths` a list of strings. */
export type OptionKind =
  | "path"
  | "text"
  | "paths"
  | "names"
  | "word"
  | "number"
  | "flag"
  | "hashes"
  | "object"
  | "list"
  | "function";

/** What a value of each kind must be, as a message says it: "must be a path (…)". */
export const EXPECTED: Record<OptionKind, string> = {
  path: "a path (a string that is not empty)",
  text: "a string",
  paths: "a list of paths (strings)",
  names: "a list of names (strings that are not empty)",
  word: "a string that is not empty",
  number: "a number",
  flag: "true or false",
  hashes: "an object of path → hash strings",
  object: "an object",
  list: "a list",
  function: "a function",
};

/**
 * Throws {@linkcode InputError} unless `value` is a path: a string that is
 * not empty. `name` is the argument, as the message names it.
 *
 * @example
 * ```ts
 * import { checkPathArgument } from "./argument_kinds.ts";
 * checkPathArgument("DEL-01-02_Flow", "delDir"); // fine
 * ```
 */
export function checkPathArgument(value: unknown, name: string): asserts value is string {
  if (!fits(value, "path")) {
    throw new InputError(`${name}: must be ${EXPECTED.path}, got ${shownValue(value)}`, {
      field: name,
    });
  }
}

/**
 * Throws {@linkcode InputError} unless `value` is of `kind`, naming it as
 * `name`: for a helper's plain argument (`runUuid`'s `runId`).
 *
 * @example
 * ```ts
 * import { checkArgument } from "./argument_kinds.ts";
 * checkArgument("RUN-DEL-01-02-20260222-1015-001", "runId", "word"); // fine
 * ```
 */
export function checkArgument(value: unknown, name: string, kind: OptionKind): void {
  if (!fits(value, kind)) {
    throw new InputError(`${name}: must be ${EXPECTED[kind]}, got ${shownValue(value)}`, {
      field: name,
    });
  }
}

/**
 * Throws {@linkcode InputError} unless `value` is a list of paths (strings
 * that are not empty), as `checkStaleness`'s targets: a string is no list
 * (read one letter at a time, it named other files: library-sweep F4).
 *
 * @example
 * ```ts
 * import { checkPathsArgument } from "./argument_kinds.ts";
 * checkPathsArgument(["a.md"], "inputs"); // fine
 * ```
 */
export function checkPathsArgument(value: unknown, name: string): asserts value is string[] {
  if (!fits(value, "paths")) {
    throw new InputError(`${name}: must be ${EXPECTED.paths}, got ${shownValue(value)}`, {
      field: name,
    });
  }
  // `"$DIR"` with DIR unset: said as such, not as a list of the wrong kind.
  if ((value as string[]).includes("")) {
    throw new InputError(`${name}: an empty path (. is the current folder)`, { field: name });
  }
}

/**
 * Throws {@linkcode InputError} unless `value` is an object whose options
 * hold what `kinds` says (an option left out is fine unless `required`
 * names it). The message names `where` (the deliverable folder) and the
 * option, as `report.inputs`.
 *
 * @example
 * ```ts
 * import { checkOptions } from "./argument_kinds.ts";
 * checkOptions("DEL-01-02_Flow", "report", { agent: "X", inputs: ["a.md"] }, {
 *   agent: "text",
 *   inputs: "paths",
 * }, ["agent"]);
 * ```
 */
export function checkOptions(
  where: string,
  name: string,
  value: unknown,
  kinds: Readonly<Record<string, OptionKind>>,
  required: readonly string[] = [],
): void {
  if (!fits(value, "object")) {
    // Left out where some option is required (`collectRuns(targets)`): say which, as its type does.
    const holding = required.length === 0
      ? ""
      : ` holding ${required.map((r) => `${r} (${EXPECTED[kinds[r]]})`).join(", ")}`;
    throw new InputError(
      `${where}: ${name}: must be ${EXPECTED.object}${holding}, got ${shownValue(value)}`,
      { field: name },
    );
  }
  const options = value as Record<string, unknown>;
  refuseInherited(where, name, options, kinds);
  for (const [option, kind] of Object.entries(kinds)) {
    const given = options[option];
    if (given === undefined && !required.includes(option)) continue;
    if (!fits(given, kind)) {
      throw new InputError(
        `${where}: ${name}.${option}: must be ${EXPECTED[kind]}, got ${shownValue(given)}`,
        { field: `${name}.${option}` },
      );
    }
  }
}

/**
 * Throws {@linkcode InputError} naming the first option of `kinds` that
 * `options` holds but not as its own enumerable field: inherited (from a
 * prototype, or a class's getter) or not enumerable. runrec reads what
 * `JSON.stringify` and `structuredClone` see, an object's own fields; one
 * read through its prototype here and spread away there would record a run
 * without it (library-sweep F6).
 *
 * @example
 * ```ts
 * import { refuseInherited } from "./argument_kinds.ts";
 * refuseInherited("emitRecord", "options", { agent: "X" }, { agent: "text" }); // fine
 * ```
 */
export function refuseInherited(
  where: string,
  name: string,
  options: object,
  kinds: Readonly<Record<string, OptionKind>>,
): void {
  for (const option of Object.keys(kinds)) {
    if (!(option in options) || Object.prototype.propertyIsEnumerable.call(options, option)) {
      continue;
    }
    const how = Object.hasOwn(options, option) ? "not enumerable" : "inherited";
    throw new InputError(
      `${where}: ${name}.${option}: ${how}, not its own field (runrec reads only ` +
        "an object's own fields, as JSON.stringify does: give a plain object)",
      { field: `${name}.${option}` },
    );
  }
}

/**
 * Throws {@linkcode InputError} unless `value` is a function (`withRun`'s
 * work), before any run is started.
 *
 * @example
 * ```ts
 * import { checkFunctionArgument } from "./argument_kinds.ts";
 * checkFunctionArgument(() => 1, "work"); // fine
 * ```
 */
export function checkFunctionArgument(value: unknown, name: string): void {
  if (typeof value !== "function") {
    throw new InputError(`${name}: must be a function, got ${shownValue(value)}`, { field: name });
  }
}

/**
 * Whether `value` is of `kind` (a `paths` list holds only strings, a `hashes` value is a plain
 * object of strings).
 *
 * @example
 * ```ts
 * import { fits } from "./argument_kinds.ts";
 * fits(["a.md"], "paths"); // true
 * fits("", "path"); // false
 * ```
 */
export function fits(value: unknown, kind: OptionKind): boolean {
  switch (kind) {
    case "path":
      return typeof value === "string" && value !== "";
    case "text":
      return typeof value === "string";
    // Array.from: a hole is `undefined`, never skipped (every() skips holes: library-sweep F5).
    case "paths":
      return Array.isArray(value) && Array.from(value).every((p) => typeof p === "string");
    case "names":
      return Array.isArray(value) &&
        Array.from(value).every((p) => typeof p === "string" && p !== "");
    case "word":
      return typeof value === "string" && value !== "";
    case "number":
      return typeof value === "number";
    case "flag":
      return typeof value === "boolean";
    // A plain object: a Map (hashFiles') has no fields, and would read as no inputs at all.
    case "hashes":
      return fits(value, "object") && isPlain(value as object) &&
        Object.values(value as object).every((h) => typeof h === "string");
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    case "list":
      return Array.isArray(value);
    case "function":
      return typeof value === "function";
  }
}

/** What a list's or an object's item is: one level only (a list may hold itself). */
function shownItem(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" && value !== null ? "an object" : shownValue(value);
}

/**
 * Whether `value` is a plain object (`{…}`, `JSON.parse`'s, `Object.create(null)`), not a Map,
 * a Date or a class's instance.
 *
 * @example
 * ```ts
 * import { isPlain } from "./argument_kinds.ts";
 * isPlain({ a: 1 }); // true
 * isPlain(new Map()); // false
 * ```
 */
export function isPlain(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * What a wrong value is, in a few words: `a list holding the number 42`.
 *
 * @example
 * ```ts
 * import { shownValue } from "./argument_kinds.ts";
 * shownValue([42]); // "a list holding the number 42"
 * ```
 */
export function shownValue(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) {
    if (value.length === 0) return "an empty list";
    // findIndex, not find: a hole is `nothing`, said as such.
    const odd = value.findIndex((v) => typeof v !== "string");
    return odd < 0 ? "a list" : `a list holding ${shownItem(value[odd])}`;
  }
  if (typeof value === "string") {
    return value === "" ? "an empty string" : `the string ${JSON.stringify(value.slice(0, 40))}`;
  }
  if (typeof value === "number" || typeof value === "boolean") return `${typeof value} ${value}`;
  if (typeof value !== "object") return `a ${typeof value}`;
  if (isPlain(value)) {
    const odd = Object.values(value).find((v) => typeof v !== "string");
    return odd === undefined ? "an object" : `an object holding ${shownItem(odd)}`;
  }
  // A Map or a Date is named: "an object" would leave one wondering what was wrong with it.
  const maker = Object.getPrototypeOf(value).constructor?.name;
  if (maker === "Object") return "an object inheriting its fields";
  return typeof maker === "string" && maker !== "" ? `a ${maker}` : "an object";
}

/**
 * Throws {@linkcode InputError} unless `value` is a record: an object, as
 * `readRecords` gives them (`isAnnotation`, `annotationsFor`).
 *
 * @example
 * ```ts
 * import { checkRecordArgument } from "./argument_kinds.ts";
 * checkRecordArgument({ RunID: "RUN-DEL-01-02-20260222-1015-001" }, "record"); // fine
 * ```
 */
export function checkRecordArgument(value: unknown, name: string): void {
  if (!fits(value, "object")) {
    throw new InputError(`${name}: must be a record (an object), got ${shownValue(value)}`, {
      field: name,
    });
  }
}

/**
 * Throws {@linkcode InputError} unless `value` is a list of records, as
 * `readRecords` gives them (`annotationsIn`): any iterable of objects.
 *
 * @example
 * ```ts
 * import { checkRecordsArgument } from "./argument_kinds.ts";
 * checkRecordsArgument([], "records"); // fine
 * ```
 */
export function checkRecordsArgument(value: unknown, name: string): void {
  const iterable = value !== null && value !== undefined &&
    typeof (value as Iterable<unknown>)[Symbol.iterator] === "function";
  if (!iterable || typeof value === "string") {
    throw new InputError(`${name}: must be a list of records, got ${shownValue(value)}`, {
      field: name,
    });
  }
}
