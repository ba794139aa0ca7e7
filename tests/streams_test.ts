/**
 * The streams a command runs with, as a user's shell gives them (trial-40): a
 * terminal narrower than runrec's lines, standard input named as a file. Each
 * case runs runrec as a real process (on a real pseudo-terminal: `script`).
 *
 * @module
 */
import { join } from "node:path";
import { makeStaleRoot } from "../scripts/bench/stale.ts";
import { ENTRY_POINT, FULL_FLAGS } from "../src/cli/permissions.ts";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { runCliProcess } from "./cli.ts";
import { makeProject, ROOT, tempDir } from "./fixtures.ts";
import { seededRandom } from "./seed.ts";

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
  const argv = [Deno.execPath(), "run", ...FULL_FLAGS, join(ROOT, ENTRY_POINT), "stale", root];
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

Deno.test("/dev/stdin named as a file (validate, flush --from) is refused in words a user can act on: not Deno's --allow-all nor runrec-sandboxed (trial-40 F6)", async () => {
  const { del } = await makeProject();
  for (const args of [["validate", "/dev/stdin"], ["flush", "--from", "/dev/stdin"]]) {
    const ran = await runCliProcess(args, undefined, {}, del);
    assertEquals(ran.code, 2, ran.stderr);
    assertMatch(
      ran.stderr,
      /^runrec \w+: .*\/dev\/stdin.*: a system path this runrec does not read \(a device, \/proc\): save what it holds to a file and name that\n$/,
    );
  }
});
