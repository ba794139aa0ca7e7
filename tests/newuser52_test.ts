/**
 * Stop 52's new users: a CI maintainer gating pull requests with the CLI under its shipped
 * permissions and with fewer, a Deno script author calling the library rightly and wrongly, and
 * a reviewer of a long-lived repository. Each test is one friction they met, which failed before
 * its fix.
 */
import { join } from "node:path";
import { emitArgs, runCliProcess } from "./cli.ts";
import { git, makeProject } from "./fixtures.ts";
import { assertEquals, assertIncludes } from "./assert.ts";
import { runScript } from "./support/library_script.ts";

/** A git project with one record committed, and that commit. */
async function committedProject(): Promise<{ root: string; del: string; base: string }> {
  const { root, del } = await makeProject();
  await git(root, "init", "-q");
  const emitted = await runCliProcess(emitArgs(del));
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
  // verifyHistories too: the folder among `files` was reported `gone`, a record file it is not.
  const { answer } = await runScript(
    root,
    flags,
    `const r = await rr.verifyHistories([${JSON.stringify(del)}], [${JSON.stringify(del)}], ` +
      `${JSON.stringify(base)});\nreturn { gone: r.gone };`,
  );
  assertEquals(answer.threw, "InputError", JSON.stringify(answer));
  assertIncludes(String(answer.message), `is a folder (did you mean ${file}?)`);
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

Deno.test("addedRecordCount tells lines apart byte for byte whether a slice of the file is ASCII or not: bytes 0x80-0x9F, a character cut at a slice's end (newuser-52 F4, the faster reading of ASCII)", async () => {
  const { addedRecordCount } = await import("../src/append_only.ts");
  const encode = (text: string) => new TextEncoder().encode(text);
  const record = (seq: string, note: string) => `v1.0,RUN-DEL-01-02-20260401-0000-${seq},${note}\n`;
  // "h\n" (2 bytes), then 8,152 bytes, then 37 bytes of record 002: its "é" (2 bytes) starts at
  // byte 8,191, the last of the first 8,192-byte slice.
  const start = encode(`h\n${record("001", "x".repeat(8114))}${record("002", "é")}`);
  assertEquals(start.indexOf(0xc3), 8191);
  const withHighByte = (byte: number) =>
    new Uint8Array([...start, ...encode(record("003", "")).slice(0, -1), byte, 10]);
  assertEquals(addedRecordCount(start, start), 0);
  assertEquals(addedRecordCount(withHighByte(0x80), withHighByte(0x80)), 0);
  // Two lines that differ only in a byte windows-1252 would map alike are two lines.
  assertEquals(addedRecordCount(withHighByte(0x80), withHighByte(0x81)), 1);
  assertEquals(addedRecordCount(encode("h\n"), withHighByte(0x9f)), 3);
});

Deno.test("emit --started of a run older than a repository that is not shallow says its history may begin after the run, where it asked only whether it is a shallow clone (newuser-52 F5)", async () => {
  const { root, del } = await committedProject();
  const started = new Date(Date.now() - 2 * 24 * 3_600_000).toISOString();
  const { code, stderr } = await runCliProcess(
    ["emit", del, "--agent", "4_DOCUMENTS", "--status", "SUCCESS", "--input", "Datasheet.md"]
      .concat(["--started", started, "--duration", "5m"]),
  );
  assertEquals(code, 0, stderr);
  assertEquals(await git(root, "rev-parse", "--is-shallow-repository"), "false");
  assertIncludes(
    stderr,
    "git's history here starts after the run (a shallow clone, or a repository begun since)",
  );
});

Deno.test("verify of a record edited in place in the working tree, the file's only minute, names git diff, where it told of a restarted deliverable to restart in a later minute (newuser-52 F6)", async () => {
  const { root, del, base } = await committedProject();
  const file = join(del, "RunRecords.csv");
  const lines = (await Deno.readTextFile(file)).split("\n");
  lines[1] = lines[1].replace(",SUCCESS,", ",PARTIAL,");
  await Deno.writeTextFile(file, lines.join("\n"));
  const { code, stdout, stderr } = await runCliProcess(["verify", root, "--since", base]);
  assertEquals(code, 1, stdout + stderr);
  assertEquals(stdout.includes("restart in a later minute"), false, stdout);
  const command = stdout.match(
    /`(git --no-pager diff --no-relative [0-9a-f]+ -- [^`]+)` shows what changed/,
  )
    ?.[1];
  assertEquals(typeof command, "string", stdout);
  // Run as printed, in the repository (the path is as verify was given it: absolute).
  const diff = await new Deno.Command("sh", { args: ["-c", command!], cwd: root }).output();
  assertEquals(diff.code, 0, new TextDecoder().decode(diff.stderr));
  assertIncludes(new TextDecoder().decode(diff.stdout), "+v1.0,RUN-DEL-01-02-");
});
