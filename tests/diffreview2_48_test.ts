/**
 * Stop 48's later changes (after e2333b1) run at the edges their second
 * review found wrong, each test failing on the code before its fix.
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals, assertIncludes } from "./assert.ts";
import { makeProject } from "./fixtures.ts";
import { runCliProcess } from "./cli.ts";
import { copyCheckout } from "./support/checkout_copy.ts";

const decoder = new TextDecoder();

/** A copy of the parts of this checkout that build runrec, in a folder of its own. */
async function checkoutCopy(): Promise<{ home: string; checkout: string }> {
  const home = await Deno.makeTempDir({ prefix: "runrec-diffreview2-48-" });
  const checkout = join(home, "runrec");
  await copyCheckout(checkout);
  return { home, checkout };
}

Deno.test("deno task compile --target '' (a variable unset) is refused before anything is built, not taken for another platform's build left unchecked", async () => {
  const { home, checkout } = await checkoutCopy();
  try {
    // The full deno as DENORT_BIN builds a binary that ignores runrec: the check after the
    // build catches it for this platform; an empty --target skipped that check.
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", join(checkout, "scripts", "compile.ts"), "--target", ""],
      cwd: checkout,
      env: { NO_COLOR: "1", DENORT_BIN: Deno.execPath() },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = decoder.decode(out.stderr);
    // Before: exit 0, "compile: built dist/runrec for  (not run here)", a binary never checked.
    assertEquals(out.code, 2, stderr);
    assertIncludes(stderr, "compile: --target is empty (an unset variable?)");
    const built = await Deno.lstat(join(checkout, "dist")).then(() => true, () => false);
    assert(!built, `compile --target '' built something: ${stderr}`);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("exec --input a.md D --agent A CMD… (another option between the folder and CMD) runs CMD: the folder is not taken for a second --input path", async () => {
  const { del } = await makeProject();
  const options = ["exec", "--input", "Datasheet.md", del, "--agent", "4_DOCUMENTS"];
  // CMD follows --agent's value: --input's words (the folder) end before it. Before: exit 2,
  // "give each its own (--input Datasheet.md --input <the folder>)", nothing run.
  const gone = await runCliProcess([...options, "no-such-program-48"]);
  assertEquals(gone.code, 127, gone.stderr);
  const file = await Deno.readTextFile(join(del, "RunRecords.csv"));
  assertEquals(file.split("\n").filter((l) => l.includes(",FAILED,")).length, 1, file);
  // Straight after --input's value, a CMD naming no command is still a second path.
  const second = await runCliProcess([...options, "--input", "Datasheet.md", "gone-48.md"]);
  assertEquals(second.code, 2, second.stderr);
  assertIncludes(second.stderr, "give each its own (--input Datasheet.md --input gone-48.md)");
});

Deno.test("deno task install --dir beneath a file, or a symbolic link to nothing: one line before anything is built, not mkdir's error after the build", async () => {
  const { home, checkout } = await checkoutCopy();
  try {
    await Deno.writeTextFile(join(home, "afile"), "");
    await Deno.symlink(join(home, "nothing"), join(home, "dangling"));
    const cases = [
      [join(home, "afile", "bin"), "has a file on its way (not a folder)"],
      [join(home, "dangling"), "is a symbolic link to nothing"],
    ];
    for (const [dir, said] of cases) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", join(checkout, "scripts", "install.ts"), "--dir", dir],
        cwd: checkout,
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = decoder.decode(out.stderr);
      // Before: the bundle built, then "Not a directory (os error 20)" or "File exists (os
      // error 17): mkdir …".
      assertEquals(
        [out.code, stderr],
        [2, `install: ${dir} ${said}: give --dir a folder (made if missing)\n`],
      );
      const built = await Deno.lstat(join(checkout, "dist")).then(() => true, () => false);
      assert(!built, `install --dir ${dir} built something`);
    }
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
