/**
 * A numbered paragraph of SCHEMA.md read as prose, as a reader sees it: code marks dropped and
 * line breaks made spaces, so that a test pins what the text says, not how it is wrapped.
 *
 * @module
 */
import { join } from "node:path";
import { ROOT } from "../fixtures.ts";

/**
 * The text of SCHEMA.md from paragraph `number` (as `7.3`) to the next one, as prose.
 *
 * @example
 * ```ts
 * import { schemaParagraph } from "./doc_prose.ts";
 * const replaying = await schemaParagraph("7.3");
 * console.log(replaying.includes("correct the recordFile"));
 * ```
 */
export async function schemaParagraph(number: string): Promise<string> {
  const doc = await Deno.readTextFile(join(ROOT, "SCHEMA.md"));
  const at = doc.indexOf(`\n${number}. **`);
  if (at < 0) throw new Error(`SCHEMA.md has no paragraph ${number}`);
  const next = doc.slice(at + 1).search(/\n(\d+\.\d+\. \*\*|## )/);
  const text = next < 0 ? doc.slice(at) : doc.slice(at, at + 1 + next);
  return text.replaceAll("`", "").replaceAll(/\s+/g, " ");
}

/**
 * The section of docs/COMMANDS.md on `runrec <command>` (the detail its `--help` points to), as
 * prose.
 *
 * @example
 * ```ts
 * import { commandDetail } from "./doc_prose.ts";
 * const log = await commandDetail("log");
 * console.log(log.includes("CR LF line ends are written as LF"));
 * ```
 */
export async function commandDetail(command: string): Promise<string> {
  const doc = await Deno.readTextFile(join(ROOT, "docs", "COMMANDS.md"));
  const at = doc.indexOf(`\n## runrec ${command}\n`);
  if (at < 0) throw new Error(`docs/COMMANDS.md has no section on runrec ${command}`);
  const next = doc.indexOf("\n## ", at + 1);
  return doc.slice(at, next < 0 ? undefined : next).replaceAll("`", "").replaceAll(/\s+/g, " ");
}
