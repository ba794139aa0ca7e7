/**
 * The changes of stop 53 attacked with real faults: a git given a deadline whose clean filter
 * does not answer (a real filter process, left running by the git killed before it).
 *
 * ```sh
 * deno test -A tests/review1_53_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { makeProject, tempDir } from "./fixtures.ts";
import { endWithin, killRunning, waitFor } from "./support/held.ts";
import { sh } from "./support/sh.ts";
import { recordsOf, RUNREC } from "./support/runs.ts";

Deno.test("emit --started with a clean filter that does not answer: the git and its filter are killed at 10 s and the record written (before: emit waited for the filter, which held git's stderr open)", async () => {
  const { root, del } = await makeProject();
  const pids = join(await tempDir(), "filter-pids");
  // Committed three hours ago, so that the run (two hours ago) is after it; the filter set since.
  await Deno.writeTextFile(join(root, ".gitattributes"), "*.md filter=stall\n");
  const then = new Date(Date.now() - 3 * 3600_000).toISOString();
  await sh(
    root,
    "git init -q && git add -A && " +
      `GIT_COMMITTER_DATE=${then} git -c user.name=t -c user.email=t@t commit -qm i --date=${then}`,
  );
  await sh(root, `git config filter.stall.clean 'echo $$ >> ${pids}; exec sleep 600'`);
  await Deno.writeTextFile(join(del, "Datasheet.md"), "changed since the run\n", { append: true });
  const started = new Date(Date.now() - 2 * 3600_000).toISOString();
  const emit = new Deno.Command(RUNREC[0], {
    args: [
      ...RUNREC.slice(1),
      ...["emit", del, "--agent", "A", "--status", "SUCCESS", "--input", "Datasheet.md"],
      ...["--started", started, "--duration", "1m"],
    ],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const filters = async () =>
    (await Deno.readTextFile(pids).catch(() => "")).split("\n").filter((p) => p).map(Number);
  await waitFor(async () => (await filters()).length > 0, "git's clean filter");
  // Before: emit waited for the filter's end (600 s); a minute is the test's bound.
  const { status, stdout, stderr } = await endWithin(emit);
  const left = await killRunning(await filters());
  assertEquals([status.code, status.signal], [0, null], stderr);
  assertMatch(stderr, /whether Datasheet\.md changed .* git did not answer within 10 s/);
  const records = await recordsOf(del);
  assert(records.some((r) => r.RunID === stdout.trim()), stdout);
  assertEquals(left, [], "the filter git started is left running");
});

/**
 * Runs argv[1:] as a harness does that starts it in a session of its own (no controlling
 * terminal) with its stderr on a terminal: once it prints "ready", sends it SIGINT; prints the
 * exit code (or "bound" when it had not ended a minute later, its group then killed).
 */
const NEW_SESSION_SIGINT = `
import os, pty, signal, subprocess, sys
_, terminal = pty.openpty()
child = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=terminal, start_new_session=True)
assert child.stdout.readline() == b"ready\\n"
child.send_signal(signal.SIGINT)
try:
    print(child.wait(timeout=60))
except subprocess.TimeoutExpired:
    os.killpg(child.pid, signal.SIGKILL)
    print("bound")
`;

Deno.test("exec started in a session of its own with stderr on a terminal: SIGINT sent to runrec reaches CMD (no terminal's Ctrl-C can reach it; before: runrec kept it, CMD ran on)", async () => {
  const { del } = await makeProject();
  const script = 'trap "exit 7" INT; echo ready; while :; do sleep 0.1; done';
  const out = await new Deno.Command("python3", {
    args: [
      ...["-c", NEW_SESSION_SIGINT],
      ...RUNREC,
      ...["exec", del, "--agent", "A", "--", "sh", "-c", script],
    ],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const said = new TextDecoder().decode(out.stdout).trim();
  assertEquals(said, "7", new TextDecoder().decode(out.stderr));
  const record = (await recordsOf(del)).at(-1)!;
  assertEquals([record.AgentName, record.RunStatus], ["A", "FAILED"]);
});
