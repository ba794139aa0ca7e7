/**
 * A writer killed between writing a temporary file and renaming it (a real
 * `kill -9`: strace injecting SIGKILL at the rename, or a shell killing
 * itself) leaves the temporary file; `reap` removes those in `.runrec/` and
 * `flush` those in the spools, each named, once their writer is gone, never
 * one whose writer is alive; one naming no writer goes once an hour old
 * (soak F3).
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals, assertIncludes } from "./assert.ts";
import { runCliProcess } from "./cli.ts";
import { makeProject, tempDir } from "./fixtures.ts";
import { RUNREC } from "./support/runs.ts";

/** The temporary files (`*.tmp`) beneath `dir`, relative to it, sorted. */
function temporaries(dir: string, prefix = ""): string[] {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch {
    return [];
  }
  return entries.flatMap((e) =>
    e.isDirectory
      ? temporaries(join(dir, e.name), `${prefix}${e.name}/`)
      : e.name.endsWith(".tmp")
      ? [`${prefix}${e.name}`]
      : []
  ).sort();
}

/** This machine's name as runrec puts it in a temporary file's name. */
const HOST = Deno.hostname().replace(/[^0-9A-Za-z._-]/g, "_");

Deno.test("start killed (kill -9) at a rename leaves its temporary files; reap removes and names them, never a live writer's", async () => {
  const { root, del } = await makeProject();
  const env = { TMPDIR: await tempDir() };
  // The first renames of a start are its .runrec/.gitignore's and its pending file's.
  for (let n = 1; temporaries(join(del, ".runrec")).length < 2 && n <= 6; n++) {
    const out = await new Deno.Command("strace", {
      args: [
        "-f",
        "-qq",
        "-o",
        "/dev/null",
        "-e",
        "trace=rename,renameat,renameat2",
        "-e",
        `inject=rename,renameat,renameat2:signal=KILL:when=${n}`,
        "--",
        ...RUNREC,
        "start",
        del,
        "--agent",
        "4_DOCUMENTS",
      ],
      env,
      stdout: "null",
      stderr: "null",
    }).output();
    assertEquals(out.code, 137, `start was not killed at rename ${n}`);
  }
  const left = temporaries(join(del, ".runrec"));
  assertEquals(left.length, 2, `left: ${left}`);
  assert(left.some((p) => p.startsWith("pending/")), `left: ${left}`);
  // A live writer's (this process's), and one naming no writer, new: both stay.
  const live = join(del, ".runrec", "pending", `x.json.0123abcd-${Deno.pid}@${HOST}.tmp`);
  const unnamed = join(del, ".runrec", "pending", "y.json.0123abcd.tmp");
  const old = join(del, ".runrec", "pending", "z.json.0123abcd.tmp");
  for (const path of [live, unnamed, old]) await Deno.writeTextFile(path, "{}\n");
  const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
  await Deno.utime(old, twoHoursAgo, twoHoursAgo);
  // A lost run's marker written aside by a finisher killed before it linked it into place.
  const lost = join(del, ".runrec", "lost");
  await Deno.mkdir(lost);
  const killed = await new Deno.Command("sh", {
    args: ["-c", `echo "$$@${HOST}" > "$1/r.new-$$@${HOST}"; kill -9 $$`, "sh", lost],
  }).output();
  assertEquals(killed.signal, "SIGKILL");
  const aside = join(lost, [...Deno.readDirSync(lost)][0].name);
  const reap = await runCliProcess(["reap", root], undefined, env);
  assertEquals(reap.code, 0, reap.stderr);
  for (const path of [...left.map((p) => join(del, ".runrec", p)), old, aside]) {
    assertIncludes(
      reap.stderr,
      `runrec reap: removed ${path}, a temporary file its killed writer left`,
    );
  }
  assertEquals([...Deno.readDirSync(lost)], []);
  assertEquals(temporaries(join(del, ".runrec")), [
    `pending/x.json.0123abcd-${Deno.pid}@${HOST}.tmp`,
    "pending/y.json.0123abcd.tmp",
  ]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("a spool entry's writer killed (kill -9) before its rename: flush removes its temporary file and names it", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  const spool = join(tmp, `runrec-spool-${Deno.uid()}`);
  await Deno.mkdir(spool, { mode: 0o700 });
  const own = join(del, ".runrec-spool");
  await Deno.mkdir(own);
  // Each shell writes its temporary file as runrec names it, and is killed before any rename.
  for (const folder of [spool, own]) {
    const out = await new Deno.Command("sh", {
      args: ["-c", `echo '{}' > "$1/e.json.0123abcd-$$@${HOST}.tmp"; kill -9 $$`, "sh", folder],
    }).output();
    assertEquals(out.signal, "SIGKILL");
  }
  const [inUser] = temporaries(spool);
  const [inOwn] = temporaries(own);
  assert(inUser && inOwn, "the killed writers left their files");
  const flush = await runCliProcess(["flush", root], undefined, { TMPDIR: tmp });
  assertEquals(flush.code, 0, flush.stderr);
  assertIncludes(flush.stderr, `runrec flush: removed ${join(spool, inUser)}`);
  assertIncludes(flush.stderr, `runrec flush: removed ${join(own, inOwn)}`);
  assertEquals([temporaries(spool), temporaries(own)], [[], []]);
  await Deno.remove(root, { recursive: true });
});
