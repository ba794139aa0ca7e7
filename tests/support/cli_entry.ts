/**
 * The file the tests' CLI processes run: the bundle `scripts/test.ts` builds
 * once for a test run (`RUNREC_TEST_CLI`), the code an install runs; the
 * TypeScript entry point when a file runs under `deno test` alone. A process
 * of the bundle loads a few files instead of each module of `src/` (a
 * `validate` of a missing folder: ~0.15 CPU seconds against ~0.35).
 *
 * @module
 */
import { join } from "node:path";
import { ENTRY_POINT } from "../../src/cli/permissions.ts";
import { ROOT } from "../fixtures.ts";

/** The environment variable that names the bundle's entry point for the test files. */
export const TEST_CLI_VAR = "RUNREC_TEST_CLI";

/**
 * The CLI's entry point for `deno run` in the tests: the bundle when the test
 * run built one, else `src/cli/main.ts`.
 *
 * @example
 * ```ts
 * import { CLI_ENTRY } from "./cli_entry.ts";
 * import { FULL_FLAGS } from "../../src/cli/permissions.ts";
 * const argv = [Deno.execPath(), "run", ...FULL_FLAGS, CLI_ENTRY, "--version"];
 * ```
 */
export const CLI_ENTRY: string = Deno.env.get(TEST_CLI_VAR) ?? join(ROOT, ENTRY_POINT);
