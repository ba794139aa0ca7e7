/**
 * Stop 52's new users: a CI maintainer gating pull requests with the CLI under its shipped
 * permissions and with fewer, a Deno script author calling the library rightly and wrongly, and
 * a reviewer of a long-lived repository. Each test is one friction they met, which failed before
 * its fix.
 */
import { join } from "node:path";
import { runCliProcess } from "./cli.ts";
import { git, makeProject } from "./fixtures.ts";
import { assertEquals, assertIncludes } from "./assert.ts";
import { runScript } from "./support/library_script.ts";

/** A git project with one record committed, and that commit. */
async function committedProject(): Promise<{ root: string; del: string; base: string }> {
  const { root, del } = await makeProject();
  await git(root, "init", "-q");
  const emitted = await runCliProcess([
    "emit",
    del,
    "--agent",
    "4_DOCUMENTS",
    "--status",
    "SUCCESS",
  ]);
  assertEquals(emitted.code, 0, emitted.stderr);
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "a run");
  return { root, del, base: await git(root, "rev-parse", "HEAD") };
}

Deno.test("log --since in a repository another user owns gives git's dubious-ownership message and remedy, where it said the file is in no git repository (newuser-52 F1)", async () => {
  const { root, del, base } = await committedProject();
  // A CI runner whose checkout belongs to another uid: git refuses it, root included.
  await new Deno.Command("chown", { args: ["-R", "12345:12345", root] }).output();
  for (const format of ["table", "json"]) {
    const { code, stdout, stderr } = await runCliProcess(
      ["log", del, "--since", base, "--format", format],
    );
    assertEquals(code, 2, stdout + stderr);
    assertIncludes(stderr, "detected dubious ownership in repository at");
    assertIncludes(stderr, "git config --global --add safe.directory ");
    assertEquals(stderr.includes("in no git repository"), false, stderr);
    if (format === "json") {
      assertIncludes(JSON.parse(stdout).error.message, "dubious ownership");
    }
  }
});

Deno.test("verifyHistory given a deliverable folder is refused, naming its RunRecords.csv, where it reported no failure of a record edited since (newuser-52 F2)", async () => {
  const { root, del, base } = await committedProject();
  const file = join(del, "RunRecords.csv");
  const lines = (await Deno.readTextFile(file)).split("\n");
  lines[1] = lines[1].replace(",PT0S,", ",PT1S,");
  await Deno.writeTextFile(file, lines.join("\n"));
  await git(root, "commit", "-qam", "an edit");
  const flags = ["--allow-read", "--allow-write", "--allow-env", "--allow-run", "--allow-sys"];
  const check = (path: string) =>
    runScript(
      root,
      flags,
      `const r = await rr.verifyHistory(${JSON.stringify(path)}, ${JSON.stringify(base)});\n` +
        `return { failed: r.failure !== undefined };`,
    );
  // The record file itself: the edit fails, as runrec verify says.
  assertEquals((await check(file)).answer, { failed: true });
  for (const folder of [del, `${del}/`]) {
    const { answer } = await check(folder);
    assertEquals(answer.threw, "InputError", JSON.stringify(answer));
    assertIncludes(
      String(answer.message),
      `is a folder (did you mean ${join(del, "RunRecords.csv")}?)`,
    );
  }
});

Deno.test("governedInputs given a file where the deliverable folder goes is refused, naming the folder, where it returned no hashes (newuser-52 F3)", async () => {
  const { root, del } = await makeProject();
  const { answer } = await runScript(
    root,
    ["--allow-read", "--allow-env"],
    `return await rr.governedInputs(${JSON.stringify(join(del, "Datasheet.md"))}, []);`,
  );
  assertEquals(answer.threw, "InputError", JSON.stringify(answer));
  assertIncludes(
    String(answer.message),
    "Datasheet.md: is not a folder; it is inside PKG-01_Pkg/1_Working/DEL-01-02_Thing: name that",
  );
});
