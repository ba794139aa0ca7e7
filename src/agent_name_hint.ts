/**
 * The agent name an invalid `--agent` most likely meant: an agent told its name in prose
 * writes `4 DOCUMENTS` or an accented letter, which the record's ASCII rule refuses.
 *
 * @module
 */
import { AGENT_NAME_PATTERN } from "./schema.ts";

/**
 * ` (did you mean NAME?)` when `given`, with spaces as `_` and accents dropped, is a valid
 * agent name; `""` otherwise.
 *
 * @example
 * ```ts
 * import { meantAgentName } from "./agent_name_hint.ts";
 * meantAgentName("4 DOCUMENTS"); // " (did you mean 4_DOCUMENTS?)"
 * meantAgentName("DOCUMENTÉ"); // " (did you mean DOCUMENTE?)"
 * meantAgentName("4/DOCUMENTS"); // ""
 * ```
 */
export function meantAgentName(given: string): string {
  const plain = given.normalize("NFD").replace(/\p{M}/gu, "").trim().replace(/\s+/g, "_");
  return plain !== given && AGENT_NAME_PATTERN.test(plain) ? ` (did you mean ${plain}?)` : "";
}
