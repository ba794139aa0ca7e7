/**
 * The streams a command runs with, as a user's shell gives them (trial-40): a
 * terminal narrower than runrec's lines, standard input named as a file. Each
 * case runs runrec as a real process (on a real pseudo-terminal: `script`).
 *
 * @module
 */
import { join } from "node:path";
import { makeStaleRoot } from "../scripts/bench/stale.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { CLI_ENTRY } from "./support/cli_entry.ts";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { runCliProcess } from "./cli.ts";
import { makeProject, tempDir } from "./fixtures.ts";
import { seededRandom } from "./seed.ts";
import { RUNREC_SH } from "./support/runs.ts";

/** What `args` prints on a pseudo-terminal `columns` wide (stdout and stderr both, as seen). */
async function onTerminal(args: string[], columns: number): Promise<string> {
  const quoted = args.map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
  const output = await new Deno.Command("script", {
    args: ["-qec", `stty cols ${columns} rows 24 && exec ${quoted}`, "/dev/null"],
    env: { NO_COLOR: "1" },
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(output.stdout);
}

Deno.test("stale's progress bar fits a terminal narrower than it: a wrapped line's first rows were never cleared, one more each redraw (trial-40 F2)", async () => {
  const root = join(await tempDir(), "root");
  await makeStaleRoot(root, 3, seededRandom("stale narrow bar"));
  const argv = [Deno.execPath(), "run", ...FULL_FLAGS, CLI_ENTRY, "stale", root];
  for (const columns of [20, 12, 1]) {
    const shown = await onTerminal(argv, columns);
    assertMatch(shown, /CLEAN/);
    // Each redraw starts `\r` and clear-to-end-of-line; it must end before the last column.
    const redraws = shown.split("\r\x1b[K").slice(1).map((part) => part.split(/[\r\n]/)[0]);
    assert(redraws.length >= 2, JSON.stringify(shown));
    for (const redraw of redraws.filter((r) => !/^(CLEAN|DIRTY|NO_BASELINE)/.test(r))) {
      assert(redraw.length < columns, `${columns} columns: ${JSON.stringify(redraw)}`);
    }
  }
});

Deno.test("/dev/stdin named as a file to validate is refused in words a user can act on: not Deno's --allow-all nor runrec-sandboxed (trial-40 F6; flush --from takes it as -)", async () => {
  const { del } = await makeProject();
  const ran = await runCliProcess(["validate", "/dev/stdin"], undefined, {}, del);
  assertEquals(ran.code, 2, ran.stderr);
  assertMatch(
    ran.stderr,
    /^runrec \w+: .*\/dev\/stdin.*: a system path this runrec does not read \(a device, \/proc\): save what it holds to a file and name that\n$/,
  );
});

Deno.test("readers whose stdout is a pipe whose reader has gone end quietly with the exit code they give on /dev/null, as git log | head does (README's exit codes)", async () => {
  const { root, del } = await makeProject();
  for (let i = 0; i < 3; i++) {
    assertEquals(
      (await runCliProcess(["emit", del, "--agent", "A", "--status", "SUCCESS"])).code,
      0,
    );
  }
  // A DIRTY deliverable: stale's exit 1 must survive the reader going away.
  await Deno.writeTextFile(join(del, "Datasheet.md"), "changed\n", { append: true });
  await runCliProcess([
    "emit",
    del,
    "--agent",
    "B",
    "--status",
    "SUCCESS",
    "--input",
    "Datasheet.md",
  ]);
  await Deno.writeTextFile(join(del, "Datasheet.md"), "changed again\n", { append: true });
  const fifos = await tempDir();
  const readers = [
    ["log", root],
    ["log", root, "--format", "jsonl"],
    ["export", root, "--format", "openlineage"],
    ["stale", root],
    ["stale", root, "--json"],
    ["validate", root],
    ["verify", root],
    ["--help"],
  ];
  for (const [i, words] of readers.entries()) {
    const quoted = words.map((w) => `'${w}'`).join(" ");
    const fifo = join(fifos, `${i}`);
    // Opened both ways then its read end closed: every write fails with EPIPE, with no race.
    const script = `mkfifo '${fifo}' && exec 3<>'${fifo}' 4>'${fifo}' && exec 3<&- && ` +
      `${RUNREC_SH} ${quoted} >&4 2>/dev/null; echo "gone $?"; ` +
      `${RUNREC_SH} ${quoted} >/dev/null 2>/dev/null; echo "null $?"; ` +
      `${RUNREC_SH} ${quoted} 2>&1 >&4 | cat`;
    const out = await new Deno.Command("sh", { args: ["-c", script], stdout: "piped" }).output();
    const [gone, none, ...said] = new TextDecoder().decode(out.stdout).trimEnd().split("\n");
    assertEquals(gone.replace("gone", "null"), none, words.join(" "));
    // Quiet: nothing on stderr but the warnings it gives anyway (none here).
    assertEquals(said.filter((l) => !/warning/.test(l)), [], words.join(" "));
  }
  const stale = await runCliProcess(["stale", root]);
  assertEquals(stale.code, 1, stale.stdout);
});
