/**
 * Builds the bundle of the CLI that a test run's CLI processes run, into the
 * folder named, and prints its entry point's path. A process of its own:
 * `scripts/test.ts` runs without `--allow-write` (`deno task test`), and the
 * build writes.
 *
 * Usage: deno run --allow-read --allow-write --allow-run --allow-env tests/support/test_bundle.ts DIR
 *
 * @example
 * ```ts
 * import { buildTestBundle } from "./test_bundle.ts";
 * const entry = await buildTestBundle(await Deno.makeTempDir());
 * ```
 *
 * @module
 */
import { bundleCli } from "../../scripts/compile.ts";

/**
 * Builds the CLI's bundle into `dir` (see `bundleCli`) and returns its entry
 * point's path.
 *
 * @example
 * ```ts
 * import { buildTestBundle } from "./test_bundle.ts";
 * console.log(await buildTestBundle("dist/test-bundle")); // dist/test-bundle/cli/main.js
 * ```
 */
export function buildTestBundle(dir: string): Promise<string> {
  return bundleCli(dir);
}

if (import.meta.main) {
  const [dir] = Deno.args;
  if (dir === undefined || Deno.args.length !== 1) {
    console.error("test_bundle.ts: one folder expected (usage: test_bundle.ts DIR)");
    Deno.exit(2);
  }
  try {
    console.log(await buildTestBundle(dir));
  } catch (e) {
    console.error(`test_bundle.ts: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
