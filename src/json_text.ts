/**
 * JSON text that is safe to print on a terminal, for the CLI's JSON outputs
 * and the lost-record line.
 *
 * @module
 */

const C1_CONTROLS = /[\x7F-\x9F]/g;

/**
 * `JSON.stringify`, with DEL and the C1 controls (U+0080-U+009F) an agent's
 * text may hold written as `\u` escapes, as it writes C0 ones: the same value,
 * and nothing a terminal takes for a control (U+009B is CSI to one that
 * honours C1). Outside strings, JSON text is ASCII structure only.
 *
 * @example
 * ```ts
 * import { jsonText } from "./json_text.ts";
 * jsonText({ error: "a\u009b2J" }); // '{"error":"a\\u009b2J"}'
 * ```
 */
export function jsonText(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent)
    .replace(C1_CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
