/**
 * A copy of the parts of this checkout that build and install runrec, for the tests of the build
 * and install scripts that must run from a checkout elsewhere (a path with spaces, a read-only
 * mount, a folder of their own to build in).
 *
 * @module
 */
import { join } from "node:path";
import { assertEquals } from "../assert.ts";
import { ROOT } from "../fixtures.ts";

/** The files and folders `deno task compile` and `deno task install` need. */
const BUILD_PARTS = ["deno.json", "deno.lock", "mod.ts", "scripts", "src"];

/**
 * Copies the parts of this checkout that build runrec into `checkout` (made with its parents).
 *
 * @example
 * ```ts
 * import { copyCheckout } from "./checkout_copy.ts";
 * await copyCheckout("/tmp/x/runrec");
 * ```
 */
export async function copyCheckout(checkout: string): Promise<void> {
  await Deno.mkdir(checkout, { recursive: true });
  for (const name of BUILD_PARTS) {
    const copied = await new Deno.Command("cp", { args: ["-r", join(ROOT, name), checkout] })
      .output();
    assertEquals(copied.code, 0, name);
  }
}
