/**
 * `runrec start` whose token cannot be delivered: stdout on a full disk,
 * closed, or a pipe whose reader has gone. The agent then follows its
 * documented fallback (record the run with `runrec emit`), so the run must
 * not stay pending: `reap` would record it a second time, as FAILED.
 *
 * @module
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { makeProject } from "./fixtures.ts";
import { runCliProcess } from "./cli.ts";
import { pendingFiles, recordsOf, RUNREC_SH } from "./support/runs.ts";

/** `runrec start <del> --agent DEPENDENCIES <extra>` run by `sh`, its output captured. */
async function startIn(
  del: string,
  redirect: string,
  extra = "",
): Promise<{ code: number; stdout: string; stderr: string }> {
  const script = `${RUNREC_SH} start '${del}' --agent DEPENDENCIES ${extra} ${redirect}`;
  const out = await new Deno.Command("sh", {
    args: ["-c", script],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

const NOT_DELIVERED =
  /^runrec start: the token could not be written \(.+\): the run was not started and nothing is kept; start it again with its standard output open, or record the run at its end with runrec emit\n$/;

Deno.test("start with stdout on /dev/full: exit 2, no pending run; emit then reap leave one record", async () => {
  const { root, del } = await makeProject();
  const start = await startIn(del, ">/dev/full");
  assertEquals(start.code, 2, start.stderr);
  assertMatch(start.stderr, NOT_DELIVERED);
  assertMatch(start.stderr, /No space left on device/);
  assertEquals(pendingFiles(del), []);
  // The agent block's fallback, then ORCHESTRATOR's routine reap: one run, one record.
  const emitted = await new Deno.Command("sh", {
    args: [
      "-c",
      `${RUNREC_SH} emit '${del}' --agent DEPENDENCIES --status SUCCESS --output Datasheet.md`,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  assertEquals(emitted.code, 0, new TextDecoder().decode(emitted.stderr));
  const reap = await new Deno.Command("sh", {
    args: ["-c", `${RUNREC_SH} reap '${del}' --older-than 0s`],
    stdout: "null",
    stderr: "null",
  }).output();
  assertEquals(reap.code, 0);
  assertEquals((await recordsOf(del)).map((r) => [r.AgentName, r.RunStatus]), [
    ["DEPENDENCIES", "SUCCESS"],
  ]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("start with stdout closed (>&-) or sent to /dev/null: the caller's choice, exit 0, the run kept for finish <del-dir>", async () => {
  for (const redirect of [">&-", ">/dev/null"]) {
    const { root, del } = await makeProject();
    const start = await startIn(del, redirect);
    assertEquals(start.code, 0, start.stderr);
    assertEquals(pendingFiles(del).length, 1, redirect);
    const finish = await runCliProcess(["finish", del, "--status", "SUCCESS"]);
    assertEquals(finish.code, 0, finish.stderr);
    assertEquals((await recordsOf(del)).length, 1, redirect);
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("start with stdout a pipe nobody reads: exit 2, no pending run", async () => {
  const { root, del } = await makeProject();
  const child = new Deno.Command("sh", {
    args: ["-c", `${RUNREC_SH} start '${del}' --agent DEPENDENCIES`],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await child.stdout.cancel(); // the reader is gone before the token is written
  const out = await child.output();
  const stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 2, stderr);
  assertMatch(stderr, NOT_DELIVERED);
  assertEquals(pendingFiles(del), []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("start with stderr on /dev/full and a note to print: the token is out, exit 0, run pending", async () => {
  const { root, del } = await makeProject();
  const start = await startIn(del, "2>/dev/full", "--input not-there.md");
  assertEquals(start.code, 0);
  const token = start.stdout.trim();
  assert(token.endsWith(".json"), start.stdout);
  assertEquals(pendingFiles(del), [token.split("/").at(-1)!]);
  await Deno.remove(root, { recursive: true });
});
