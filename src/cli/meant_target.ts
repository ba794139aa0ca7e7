/**
 * A target that names nothing, said with the folder most likely meant: a
 * deliverable folder named from the wrong folder (`log DEL-01-02_X` from the
 * execution root) or misspelt. `start`, `emit` and `exec` said so already;
 * the commands that read (`log`, `show`, `stale`, `validate`, …) said "no
 * such folder" alone.
 *
 * @module
 */
import { InputError } from "../errors.ts";

/**
 * `error` as a command threw it, or, when it is "`<p>`: no such folder" (or
 * "file or folder") for one of the command's `positionals` and a deliverable
 * folder of that name or DeliverableID is near, the error naming that
 * folder ("did you mean …?").
 *
 * @example
 * ```ts
 * import { withMeantFolder } from "./meant_target.ts";
 * import { InputError } from "../errors.ts";
 * const error = new InputError("DEL-01-02_Flow: no such file or folder");
 * const said = await withMeantFolder(error, ["DEL-01-02_Flow"]);
 * (said as Error).message; // the same, or with "did you mean …?" when such a folder is near
 * ```
 */
export async function withMeantFolder(
  error: unknown,
  positionals: readonly string[],
): Promise<unknown> {
  if (!(error instanceof InputError)) return error;
  const missing = positionals.find((p) =>
    error.message === `${p}: no such folder` || error.message === `${p}: no such file or folder`
  );
  if (missing === undefined) return error;
  // Loaded only here: a target that names nothing is rare, and the search costs start-up.
  const { refuseMisspeltFolder } = await import("../meant_path.ts");
  try {
    await refuseMisspeltFolder(missing);
  } catch (meant) {
    if (meant instanceof InputError) return meant;
  }
  return error;
}
