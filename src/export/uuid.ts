/**
 * Name-based UUIDs (version 5, RFC 9562 section 5.5): the same name in the
 * same namespace always gives the same UUID, so an export run twice names
 * every run alike.
 *
 * @module
 */
// SHA-1 from a maintained pure-JavaScript package: node:crypto would make every command loaded
// with export set up Deno's Node compatibility at start (docs/BENCHMARKS.md, stop 25).
// deno-lint-ignore no-import-prefix -- the CLI runs with --no-config, so no import map
import { sha1 } from "npm:@noble/hashes@2.0.1/legacy.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** RFC 9562's namespace for names that are URLs. */
export const NAMESPACE_URL = "6ba7b811-9dad-11d1-80b4-00c04fd430c8";

/**
 * The namespace of runrec's run UUIDs: `uuidV5(NAMESPACE_URL,
 * "https://jsr.io/@runrec/runrec/runs")`, fixed so that every runrec release
 * derives the same runId from the same run (docs/EXPORT.md).
 */
export const RUNREC_RUN_NAMESPACE = "934777e2-299a-583c-9b05-43c0bb74f109";

/**
 * The version-5 UUID of `name` (UTF-8) in `namespace`, in lowercase.
 *
 * @example
 * ```ts
 * import { uuidV5 } from "./uuid.ts";
 * // RFC 9562 appendix A.4
 * uuidV5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.com");
 * // "2ed6657d-e927-568b-95e1-2665a8aea6a2"
 * ```
 */
export function uuidV5(namespace: string, name: string): string {
  if (!UUID.test(namespace)) throw new RangeError(`not a lowercase UUID: ${namespace}`);
  const text = new TextEncoder().encode(name);
  const bytes = new Uint8Array(16 + text.length);
  bytes.setFromHex(namespace.replaceAll("-", ""));
  bytes.set(text, 16);
  const out = sha1(bytes).subarray(0, 16);
  out[6] = (out[6] & 0x0f) | 0x50; // version 5
  out[8] = (out[8] & 0x3f) | 0x80; // the RFC variant
  const hex = out.toHex();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${
    hex.slice(20)
  }`;
}
