/**
 * A full disk leaves no debris in the deliverable: a spool entry or a
 * pending run that cannot be written there goes outside it, and nothing it
 * tried to write (a temporary file, an empty `.gitignore`, a folder it
 * created) stays for git or the user to see. The disk is a real tiny tmpfs,
 * the deliverable a real git work tree, runrec a real process.
 */
import { join } from "node:path";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { assert, assertEquals, assertIncludes, assertMatch } from "./assert.ts";
import { runCliProcess } from "./cli.ts";
import { makeProject, tempDir } from "./fixtures.ts";

async function run(command: string, args: string[], cwd?: string): Promise<string> {
  const out = await new Deno.Command(command, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout);
  assertEquals(
    out.code,
    0,
    `${command} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`,
  );
  return text;
}

/** Every path under `dir`, relative to it, sorted. */
function tree(dir: string, prefix = ""): string[] {
  return [...Deno.readDirSync(dir)].flatMap((e) =>
    e.isDirectory
      ? [`${prefix}${e.name}/`, ...tree(join(dir, e.name), `${prefix}${e.name}/`)]
      : [`${prefix}${e.name}`]
  ).sort();
}

/**
 * A project that is a git work tree with everything committed, its
 * deliverable folder a 64 KiB tmpfs holding its files and a filler file that
 * takes every free byte; `TMPDIR` (the user's spool and pending folders) is
 * elsewhere.
 */
async function fullDisk() {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  await run("git", ["init", "-q"], root);
  await run("git", ["add", "-A"], root);
  await run("git", ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "i"], root);
  await Deno.writeTextFile(join(root, ".git", "info", "exclude"), "filler\n");
  await run("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", del]);
  const cleanup = async () => {
    await run("umount", [del]);
    await Deno.remove(root, { recursive: true });
    await Deno.remove(tmp, { recursive: true });
  };
  try {
    await run("git", ["checkout", "--", "."], root);
    await run("sh", ["-c", `dd if=/dev/zero of=${join(del, "filler")} bs=1k 2>/dev/null; true`]);
  } catch (e) {
    await cleanup();
    throw e;
  }
  const before = tree(del);
  const gitSees = () => run("git", ["status", "--porcelain", "--untracked-files=all"], root);
  return { del, tmp, before, gitSees, cleanup };
}

Deno.test("spool debris: a spool write that fails on a full disk leaves no temporary file, .gitignore or folder in the deliverable", async () => {
  const { del, tmp, before, gitSees, cleanup } = await fullDisk();
  try {
    const env = { TMPDIR: tmp };
    const emit = ["emit", del, "--agent", "A", "--status", "SUCCESS"];
    const full = await runCliProcess(emit, FULL_FLAGS, env);
    assertEquals(full.code, 0, full.stderr);
    assertMatch(full.stderr, /record not written .*No space left on device.*spooled to /);
    assertIncludes(full.stderr, `spooled to ${tmp}`);
    assertEquals(tree(del), before, "the failed spool write left something behind");
    assertEquals(await gitSees(), "");

    // Room again: the next emit replays the spooled record; git sees only the record file.
    await Deno.remove(join(del, "filler"));
    const next = await runCliProcess(emit, FULL_FLAGS, env);
    assertEquals(next.code, 0, next.stderr);
    assertMatch(next.stderr, /replayed RUN-DEL-01-02-\d{8}-\d{4}-001 from the spool/);
    // Whatever state the emits keep (none for a file this short: no SEQ index yet) ignores itself.
    assertEquals(
      await gitSees(),
      `?? PKG-01_Pkg/1_Working/DEL-01-02_Thing/${RECORD_FILE}\n`,
    );
  } finally {
    await cleanup();
  }
});

Deno.test("spool debris: a pending run that cannot be kept on a full disk leaves no .runrec/ folder or empty .gitignore", async () => {
  const { del, tmp, before, gitSees, cleanup } = await fullDisk();
  try {
    const env = { TMPDIR: tmp };
    const start = await runCliProcess(["start", del, "--agent", "A"], FULL_FLAGS, env);
    assertEquals(start.code, 0, start.stderr);
    assertMatch(start.stderr, /pending run kept in .*No space left on device/);
    assert(start.stdout.startsWith(tmp), start.stdout);
    assertEquals(tree(del), before, "the failed pending write left something behind");
    assertEquals(await gitSees(), "");

    // Room again: the state folder is made whole, ignoring itself.
    await Deno.remove(join(del, "filler"));
    const again = await runCliProcess(["start", del, "--agent", "A"], FULL_FLAGS, env);
    assertEquals(again.code, 0, again.stderr);
    assertIncludes(again.stdout, join(del, ".runrec", "pending"));
    assertEquals(await Deno.readTextFile(join(del, ".runrec", ".gitignore")), "*\n");
    assertEquals(await gitSees(), "");
  } finally {
    await cleanup();
  }
});
