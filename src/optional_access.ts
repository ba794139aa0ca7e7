/**
 * What runrec reads only when allowed: environment variables, the user id
 * and the host's uptime, which refine what it does but are never required.
 * Reading one that is not granted would make Deno prompt in a terminal (a
 * script left waiting for an answer), so each is queried first; one not
 * granted reads as unset.
 *
 * @module
 */

/**
 * `$name`, or `undefined` when it is unset, empty or not granted.
 *
 * @example
 * ```ts
 * import { optionalEnv } from "./optional_access.ts";
 * optionalEnv("RUNREC_SPOOL_DIR"); // undefined unless set and allowed (--allow-env)
 * ```
 */
export function optionalEnv(name: string): string | undefined {
  if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") {
    return undefined;
  }
  return Deno.env.get(name) || undefined;
}

/**
 * The user's id, or `undefined` on Windows and when not granted
 * (`--allow-sys=uid`).
 *
 * @example
 * ```ts
 * import { optionalUid } from "./optional_access.ts";
 * optionalUid(); // 1000, say, with --allow-sys
 * ```
 */
export function optionalUid(): number | undefined {
  if (Deno.permissions.querySync({ name: "sys", kind: "uid" }).state !== "granted") {
    return undefined;
  }
  return Deno.uid() ?? undefined;
}

/**
 * This host's uptime in ms (to the second, rounded up), or `undefined` when
 * not granted (`--allow-sys=osUptime`): a clock that no step of the wall
 * clock moves, for times that processes of one host compare.
 *
 * @example
 * ```ts
 * import { optionalUptimeMs } from "./optional_access.ts";
 * optionalUptimeMs(); // 37034000, say, with --allow-sys
 * ```
 */
export function optionalUptimeMs(): number | undefined {
  if (Deno.permissions.querySync({ name: "sys", kind: "osUptime" }).state !== "granted") {
    return undefined;
  }
  try {
    return Deno.osUptime() * 1000;
  } catch {
    return undefined;
  }
}
