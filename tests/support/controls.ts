/**
 * Text that would act on a terminal: a deliverable folder whose name holds ESC, BEL and the C1
 * control CSI, and an assertion that an output holds no such character raw.
 *
 * @module
 */
import { join } from "node:path";
import { assertEquals } from "../assert.ts";

/** A deliverable folder's name holding ESC, BEL and U+009B (CSI). */
export const CONTROLS_FOLDER = "DEL-01-09_X\u001b]0;t\u0007\u009b2J";

/** {@link CONTROLS_FOLDER} as runrec's outputs write it, each control escaped. */
export const CONTROLS_FOLDER_ESCAPED = "DEL-01-09_X\\u001b]0;t\\u0007\\u009b2J";

/**
 * Makes {@link CONTROLS_FOLDER} (with a `_CONTEXT.md`) in `makeProject()`'s working folder of
 * `root`; returns its path.
 *
 * @example
 * ```ts
 * import { controlsFolder } from "./controls.ts";
 * import { makeProject } from "../fixtures.ts";
 * const del = await controlsFolder((await makeProject()).root);
 * ```
 */
export async function controlsFolder(root: string): Promise<string> {
  const del = join(root, "PKG-01_Pkg", "1_Working", CONTROLS_FOLDER);
  await Deno.mkdir(del);
  await Deno.writeTextFile(join(del, "_CONTEXT.md"), "context\n");
  return del;
}

/**
 * Asserts that `text` holds no C0 control but tab and newline, no DEL and no C1 control, raw.
 *
 * @example
 * ```ts
 * import { assertNoRawControls } from "./controls.ts";
 * assertNoRawControls("a\\u009b2J\n");
 * ```
 */
export function assertNoRawControls(text: string): void {
  // deno-lint-ignore no-control-regex
  assertEquals(text.match(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g), null, text);
}
