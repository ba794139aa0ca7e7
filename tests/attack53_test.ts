/**
 * Signals, interruptions and partial faults on the write paths, each a real
 * process and a real signal or fault: a terminal's Ctrl-C typed on a real
 * pseudo-terminal, signals `strace` delivers at a chosen system call.
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { runCliProcess } from "./cli.ts";
import { makeProject, tempDir } from "./fixtures.ts";
import { endWithin, gitOnPath, killRunning, waitFor } from "./support/held.ts";
import { sh } from "./support/sh.ts";
import { pendingFiles, recordsOf, RUNREC } from "./support/runs.ts";
import { whileReadOnly } from "./support/read_only.ts";

/**
 * Runs argv[3:] on a new pseudo-terminal (its controlling terminal, its process group in the
 * foreground) and, once the file argv[1] holds "ready", types argv[2] on it, as a user at the
 * keyboard; prints what the terminal showed, and exits with the command's code.
 */
const AT_A_TERMINAL = `
import os, pty, select, sys
ready, keys, argv = sys.argv[1], sys.argv[2].encode(), sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
shown, typed = b"", False
while True:
    if not typed and os.path.exists(ready) and open(ready).read() == "ready":
        os.write(fd, keys)
        typed = True
    if select.select([fd], [], [], 0.02)[0]:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        shown += data
sys.stdout.write(shown.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
`;

/**
 * A command that counts the SIGINTs it gets: ready once its handlers are set; at the first, it
 * sends its parent (runrec exec) a SIGHUP, which runrec passes back to it after any SIGINT it
 * passed on; at that SIGHUP, it writes the count to Count.md, an output, and exits 0.
 */
const COUNTS_SIGINTS = `
import os, signal, sys
sigints, hangup = 0, False
def on_int(*_):
    global sigints
    sigints += 1
    if sigints == 1:
        os.kill(os.getppid(), signal.SIGHUP)
def on_hup(*_):
    global hangup
    hangup = True
signal.signal(signal.SIGINT, on_int)
signal.signal(signal.SIGHUP, on_hup)
with open(sys.argv[1], "w") as ready:
    ready.write("ready")
while not hangup:
    signal.pause()
with open(sys.argv[2], "w") as count:
    count.write(f"{sigints}\\n")
`;

Deno.test("exec at a terminal: Ctrl-C reaches CMD once, not again from runrec, and the run is recorded (attack-53 F1)", async () => {
  const { del } = await makeProject();
  const scratch = await tempDir();
  const [harness, command, ready] = ["terminal.py", "counts.py", "ready"].map((name) =>
    join(scratch, name)
  );
  await Deno.writeTextFile(harness, AT_A_TERMINAL);
  await Deno.writeTextFile(command, COUNTS_SIGINTS);
  const argv = [...RUNREC, "exec", del, "--agent", "A", "--", "python3", command, ready];
  const ran = await new Deno.Command("python3", {
    args: [harness, ready, "\x03", ...argv, join(del, "Count.md")],
    env: { NO_COLOR: "1" },
    stdout: "piped",
  }).output();
  const shown = new TextDecoder().decode(ran.stdout);
  assertEquals(ran.code, 0, shown);
  // Before: 2, the terminal's and runrec's; a second Ctrl-C is "stop now" to many programs.
  assertEquals(await Deno.readTextFile(join(del, "Count.md")), "1\n", shown);
  const records = await recordsOf(del);
  assertEquals(records.map((r) => [r.RunStatus, r.OutputFiles]), [["SUCCESS", ["Count.md"]]]);
  assertMatch(shown, /recorded RUN-DEL-01-02-\d{8}-\d{4}-001 \(SUCCESS\)/);
  assertEquals(pendingFiles(del), []);
});

/**
 * A folder whose `git` notes its pid in `stopped` and stops itself (SIGSTOP), as a git suspended
 * or stalled on a file system does; continued, it runs the real git.
 */
async function stoppingGit(): Promise<{ path: string; stopped: string }> {
  const dir = await tempDir({ prefix: "runrec-stopped-git-" });
  const stopped = join(dir, "stopped");
  const script = `#!/bin/sh\necho $$ >> '${stopped}'\nkill -STOP $$\nexec '${gitOnPath()}' "$@"\n`;
  await Deno.mkdir(join(dir, "bin"));
  await Deno.writeTextFile(join(dir, "bin", "git"), script, { mode: 0o755 });
  return { path: `${join(dir, "bin")}:${Deno.env.get("PATH")}`, stopped };
}

Deno.test("emit --started of a run whose input changed since, with git stopped: the record is written when git has not answered in 10 s, the git killed, the lock free meanwhile (attack-53 F2)", async () => {
  const { root, del } = await makeProject();
  await sh(root, "git init -q && git add -A && git -c user.name=t -c user.email=t@t commit -qm i");
  await Deno.writeTextFile(join(del, "Datasheet.md"), "changed since the run\n", { append: true });
  const git = await stoppingGit();
  const started = new Date(Date.now() - 2 * 3600_000).toISOString();
  const emit = new Deno.Command(RUNREC[0], {
    args: [
      ...RUNREC.slice(1),
      ...["emit", del, "--agent", "A", "--status", "SUCCESS", "--input", "Datasheet.md"],
      ...["--started", started, "--duration", "1m"],
    ],
    env: { NO_COLOR: "1", PATH: git.path },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stoppedGit = async () => {
    const pids = await Deno.readTextFile(git.stopped).catch(() => "");
    return pids.split("\n").filter((pid) => pid !== "").map(Number);
  };
  await waitFor(async () => (await stoppedGit()).length > 0, "emit's git");
  // Meanwhile no lock is held: another emit of the folder writes at once.
  const other = await runCliProcess(["emit", del, "--agent", "B", "--status", "SUCCESS"]);
  assertEquals(other.code, 0, other.stderr);
  // Before: emit waited for the stopped git for ever; a minute is the test's bound.
  const { status, stdout, stderr } = await endWithin(emit);
  // The stopped git was killed: no process of it is left (before: left stopped).
  const left = await killRunning(await stoppedGit());
  assertEquals([status.code, status.signal], [0, null], stderr);
  assertMatch(
    stderr,
    /whether Datasheet\.md changed after the run ended cannot be told: .*git did not answer within 10 s/,
  );
  const records = await recordsOf(del);
  assertEquals(records.map((r) => r.AgentName).sort(), ["A", "B"]);
  assert(records.some((r) => r.RunID === stdout.trim()), stdout);
  assertEquals(left, []);
});

/** The files under `dir` whose bytes hold `text`. */
async function filesHolding(dir: string, text: string): Promise<string[]> {
  return (await sh(dir, 'grep -rlF -e "$1" . || true', [text])).split("\n").filter((l) => l);
}

Deno.test("emit and flush with stdout and stderr closed: the records land once, and no message goes into a file runrec opened (the runtime puts /dev/null on descriptors 1 and 2) (attack-53 F3)", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  const closed = async (...args: string[]) => {
    const quoted = [...RUNREC, ...args].map((a) => `'${a}'`).join(" ");
    const out = await new Deno.Command("sh", {
      args: ["-c", `exec ${quoted} >&- 2>&-`],
      env: { NO_COLOR: "1", TMPDIR: tmp },
    }).output();
    return out.code;
  };
  // A warning and a note each time: an unknown agent; a read-only folder spools with a warning.
  assertEquals(await closed("emit", del, "--agent", "A", "--status", "SUCCESS"), 0);
  await whileReadOnly(del, async () => {
    assertEquals(await closed("emit", del, "--agent", "B", "--status", "SUCCESS"), 0);
  });
  assertEquals(await closed("flush", del), 0);
  assertEquals((await recordsOf(del)).map((r) => r.AgentName), ["A", "B"]);
  for (const said of ["runrec: ", "replayed into", "warning:"]) {
    assertEquals([...await filesHolding(root, said), ...await filesHolding(tmp, said)], [], said);
  }
  const verify = await runCliProcess(["verify", del]);
  assertEquals(verify.code, 0, verify.stdout + verify.stderr);
});
