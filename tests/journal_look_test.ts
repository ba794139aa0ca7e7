/**
 * The journal's look before the append lock (src/journal.ts `readDroppedAhead`): what it reads in
 * the usual case, where the journal's last line went into the file at the path, and where a git
 * command replaced that file since.
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { emitArgs, runCliProcess } from "./cli.ts";
import { git, makeProject, ROOT } from "./fixtures.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { journalPath } from "../src/journal.ts";
import { ENTRY_POINT, FULL_FLAGS } from "../src/cli/permissions.ts";

/** The lines of `strace` of one emit into `del` that come before it takes its file's lock. */
async function looksBeforeLock(del: string): Promise<string[]> {
  const out = await new Deno.Command("strace", {
    args: [
      ...["-f", "-qq", "-e", "trace=statx,newfstatat,stat,lstat,openat"],
      ...[Deno.execPath(), "run", ...FULL_FLAGS, join(ROOT, ENTRY_POINT)],
      ...emitArgs(del, "--no-fsync"),
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const lines = new TextDecoder().decode(out.stderr).split("\n");
  assertEquals(out.code, 0, lines.slice(-5).join("\n"));
  const lock = lines.findIndex((l) => l.includes(`${RECORD_FILE}.lock", O_WRONLY|O_CREAT|O_EXCL`));
  assert(lock > 0, "the emit took its lock");
  return lines.slice(0, lock);
}

Deno.test("the journal's look before the lock reads the journal's end and the file's identity only when its last line went into that file; once git replaced the file it looks at HEAD and the stash too (emit-47)", async () => {
  const { root, del } = await makeProject();
  await git(root, "init", "-q");
  for (let i = 0; i < 2; i++) assertEquals((await runCliProcess(emitArgs(del))).code, 0);
  const file = join(del, RECORD_FILE);
  const stash = join(root, ".git", "logs", "refs", "stash");
  const count = (lines: string[], path: string) => lines.filter((l) => l.includes(`"${path}"`));

  // Every usual emit: the journal's stat and its end. Before emit-47 the look read its first line
  // too, HEAD and the stash reflog (3 looks at the journal), all read again under the lock.
  const settled = await looksBeforeLock(del);
  assertEquals(count(settled, journalPath(file)).length, 2, "the journal's stat and its end");

  // A file in its place, as a git command writes one: that look, then the whole one (the
  // journal's stat, its two ends, then all of it), the stash reflog one look more than above.
  await Deno.copyFile(file, `${file}.new`);
  await Deno.rename(`${file}.new`, file);
  const replaced = await looksBeforeLock(del);
  assertEquals(count(replaced, journalPath(file)).length, 2 + 4, "the journal looked at whole");
  assertEquals(count(replaced, stash).length, count(settled, stash).length + 1);
  assertEquals((await Deno.readTextFile(file)).trimEnd().split("\n").length, 5);
  await Deno.remove(root, { recursive: true });
});
