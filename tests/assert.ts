/**
 * The few assertions the tests use, on top of `node:assert` (the standard
 * library's `@std/assert` is on JSR, which these machines cannot reach).
 *
 * @module
 */
import nodeAssert from "node:assert/strict";

/** Fails unless `condition` is truthy. */
export function assert(condition: unknown, message = "assertion failed"): asserts condition {
  if (!condition) throw new Error(message);
}

/** Deep, strict equality. */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

/** Fails unless `text` matches `pattern`. */
export function assertMatch(text: string, pattern: RegExp, message?: string): void {
  if (!pattern.test(text)) {
    throw new Error(message ?? `expected ${JSON.stringify(text)} to match ${pattern}`);
  }
}

/** Fails unless `text` includes `part`. */
export function assertIncludes(text: string, part: string, message?: string): void {
  if (!text.includes(part)) {
    throw new Error(
      message ?? `expected ${JSON.stringify(text)} to include ${JSON.stringify(part)}`,
    );
  }
}

function checkError(e: unknown, type?: abstract new (...a: never[]) => Error, includes?: string) {
  if (type && !(e instanceof type)) throw new Error(`expected ${type.name}, got ${e}`);
  if (includes && !String((e as Error)?.message).includes(includes)) {
    throw new Error(`expected error message to include ${JSON.stringify(includes)}, got ${e}`);
  }
}

/** Fails unless `fn` throws (an instance of `type`, with `includes` in its message). */
export function assertThrows(
  fn: () => unknown,
  type?: abstract new (...a: never[]) => Error,
  includes?: string,
): void {
  try {
    fn();
  } catch (e) {
    checkError(e, type, includes);
    return;
  }
  throw new Error("expected a throw");
}

/** Fails unless `fn` rejects (an instance of `type`, with `includes` in its message). */
export async function assertRejects(
  fn: () => Promise<unknown>,
  type?: abstract new (...a: never[]) => Error,
  includes?: string,
): Promise<void> {
  try {
    await fn();
  } catch (e) {
    checkError(e, type, includes);
    return;
  }
  throw new Error("expected a rejection");
}
