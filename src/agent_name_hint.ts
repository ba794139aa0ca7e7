/**
 * The agent name an invalid `--agent` most likely meant: an agent told its name in prose
 * writes `4 DOCUMENTS` or an accented letter, which the record's ASCII rule refuses.
 *
 * @module
 */
import { BUILTIN_PROFILES } from "./profiles.ts";
import { AGENT_NAME_PATTERN } from "./schema.ts";

/**
 * ` (did you mean NAME?)` when `given`, with spaces as `_` and accents dropped, is a valid
 * agent name, spelt as the built-in agent of that name in another case is (`4 documents`:
 * `4_documents` would be warned of as no known agent); `""` otherwise.
 *
 * @example
 * ```ts
 * import { meantAgentName } from "./agent_name_hint.ts";
 * meantAgentName("4 DOCUMENTS"); // " (did you mean 4_DOCUMENTS?)"
 * meantAgentName("4 documents"); // " (did you mean 4_DOCUMENTS?)"
 * meantAgentName("DOCUMENTÉ"); // " (did you mean DOCUMENTE?)"
 * meantAgentName("4/DOCUMENTS"); // ""
 * ```
 */
export function meantAgentName(given: string): string {
  const plain = given.normalize("NFD").replace(/\p{M}/gu, "").trim().replace(/\s+/g, "_");
  if (plain === given || !AGENT_NAME_PATTERN.test(plain)) return "";
  const builtIn = Object.keys(BUILTIN_PROFILES).find((n) =>
    n.toUpperCase() === plain.toUpperCase()
  );
  return ` (did you mean ${builtIn ?? plain}?)`;
}
