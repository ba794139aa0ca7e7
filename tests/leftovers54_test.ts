/**
 * Items stop 53 left on flush, messages and supersedes: `flush --from` read a line at a time in
 * bounded memory (peak RSS measured by `/usr/bin/time`), a refused journal line in
 * `flush --from --json` given the shape `flush --json` gives it, warnings that named a C1 control
 * raw, supersede cycles through a record a put-back renumbered, git remedies that page, and
 * `log --format md`'s controls. Real processes, real git repositories, real faults.
 *
 * ```sh
 * deno test -A tests/leftovers54_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { git, makeProject, sampleDraft, tempDir } from "./fixtures.ts";
import { recordsOf } from "./support/runs.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { CLI_ENTRY } from "./support/cli_entry.ts";
import { lostRecordLine, newSpoolEntry } from "../src/spool.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { runCliProcess } from "./cli.ts";
import {
  agentEmitArgs,
  DEL,
  JOURNAL,
  supersededThenRenumbered,
  unionProject,
} from "./support/journal_lost.ts";

/**
 * Runs the CLI under `/usr/bin/time` with `stdin` (a file's path) piped in when given: its exit
 * code, output and peak resident memory.
 */
async function runMeasured(args: string[], stdin?: string) {
  const child = new Deno.Command("/usr/bin/time", {
    args: ["-f", "peak-rss-kb %M", Deno.execPath(), "run", ...FULL_FLAGS, CLI_ENTRY, ...args],
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  if (stdin !== undefined) await (await Deno.open(stdin)).readable.pipeTo(child.stdin);
  const output = await child.output();
  const stderr = new TextDecoder().decode(output.stderr);
  return {
    code: output.code,
    stdout: new TextDecoder().decode(output.stdout),
    // time's own lines: its measure, and the exit status when not 0.
    stderr: stderr.replace(/(Command exited with non-zero status \d+\n)?peak-rss-kb \d+\s*$/, ""),
    peakKb: Number(/peak-rss-kb (\d+)\s*$/.exec(stderr)?.[1]),
  };
}

/**
 * Writes `pieces` to `path` in turn: a string, or `fill` bytes of filler lines `width` bytes long
 * with their `\n` (a `width` of 0: one line, not ended).
 */
async function writeLines(path: string, pieces: (string | { fill: number; width: number })[]) {
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  const writer = file.writable.getWriter();
  const encoder = new TextEncoder();
  for (const piece of pieces) {
    if (typeof piece === "string") {
      await writer.write(encoder.encode(piece));
      continue;
    }
    // A MiB at a time: the test itself holds no more of it.
    const block = encoder.encode(
      piece.width === 0
        ? "o".repeat(1 << 20)
        : `${"o".repeat(piece.width - 1)}\n`.repeat(Math.floor((1 << 20) / piece.width)),
    );
    for (let left = piece.fill; left > 0; left -= block.length) {
      await writer.write(left >= block.length ? block : block.subarray(0, left));
    }
  }
  await writer.close();
}

Deno.test("flush --from FILE and --from - read a line at a time: 50 MB of other output costs no more memory than an empty input, a 52 MB line no more than one line of the limit; the lost records are appended once, the long line refused by its number (leftovers-54 1)", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  try {
    const file = join(del, RECORD_FILE);
    const lost = (agent: string) =>
      `${lostRecordLine(newSpoolEntry(file, sampleDraft({ AgentName: agent }), "ENOSPC"))}\n`;
    // An orchestrator's log: agent output with lost-record lines among it.
    const saved = join(tmp, "orchestrator.log");
    await writeLines(saved, [lost("FIRST"), { fill: 50_000_000, width: 100 }, lost("SECOND")]);
    // A line over the limit that begins as a lost-record line would (line 2).
    const long = join(tmp, "long.log");
    await writeLines(long, [
      "runrec: lost-record: {",
      { fill: 52_000_000, width: 0 },
      `\n${lost("THIRD")}`,
    ]);
    const empty = join(tmp, "empty.txt");
    await Deno.writeTextFile(empty, "");
    const base = await runMeasured(["flush", "--from", empty]);
    assertEquals(base.code, 0, base.stderr);

    const fromFile = await runMeasured(["flush", "--from", saved]);
    assertEquals(fromFile.code, 0, fromFile.stderr);
    assertEquals((await recordsOf(del)).map((r) => r.AgentName), ["FIRST", "SECOND"]);
    const fromStdin = await runMeasured(["flush", "--from", "-"], saved);
    assertEquals(fromStdin.code, 0, fromStdin.stderr);
    assertEquals(fromStdin.stdout.match(/is already in its file; nothing appended/g)?.length, 2);
    for (const run of [fromFile, fromStdin]) {
      console.log(`peak RSS ${run.peakKb} KB (an empty input: ${base.peakKb} KB)`);
      // Read whole, the 50 MB took 100-150 MB more; a line at a time, a chunk and a line.
      assert(run.peakKb > 0 && run.peakKb < base.peakKb + 30 * 1024, `peak ${run.peakKb} KB`);
    }

    const longOne = await runMeasured(["flush", "--from", long]);
    assertEquals(longOne.code, 1, longOne.stderr);
    assertEquals(
      longOne.stderr,
      `runrec: warning: ${long}:1: not a lost record: longer than 49 MiB, more than any ` +
        "lost-record line runrec writes (a record's line holds 16 MiB at most, SCHEMA.md 6.5); " +
        "not read\n",
    );
    assertEquals((await recordsOf(del)).map((r) => r.AgentName), ["FIRST", "SECOND", "THIRD"]);
    console.log(`peak RSS ${longOne.peakKb} KB with the 52 MB line`);
    // At most the limit's 49 MiB of it are held before it is known to be longer.
    assert(longOne.peakKb < base.peakKb + 49 * 1024 + 30 * 1024, `peak ${longOne.peakKb} KB`);
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("flush --from FILE whose read fails (EIO) after a batch of records was appended reports it, exit 1, the records before it appended; run again, the rest are appended and none twice (leftovers-54 1)", async () => {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  try {
    const file = join(del, RECORD_FILE);
    // Lines of 1 MiB: each fills a batch (256 KiB), appended before the next line is read.
    const saved = join(tmp, "lost.txt");
    await Deno.writeTextFile(
      saved,
      ["A", "B", "C", "D", "E", "F", "G", "H"].map((agent) =>
        lostRecordLine(
          newSpoolEntry(file, sampleDraft({ AgentName: agent, Notes: "n".repeat(1 << 20) }), "f"),
        ) + "\n"
      ).join(""),
    );
    // The 100th read of the file (64 KiB each: in line 7) fails.
    const failing = await new Deno.Command("strace", {
      args: [
        ...["-f", "-qq", "-o", "/dev/null", "-P", saved, "-e", "trace=read"],
        ...["-e", "inject=read:error=EIO:when=100", Deno.execPath(), "run", ...FULL_FLAGS],
        ...[CLI_ENTRY, "flush", "--from", saved],
      ],
      env: { TMPDIR: tmp, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(failing.stderr);
    assertEquals(failing.code, 1, stderr);
    assertEquals(
      stderr,
      `runrec: warning: ${saved}: cannot read: Input/output error (os error 5), after line 6: ` +
        "the records of the lines before it were appended (each once); once it reads, the same " +
        "runrec flush --from appends the rest\n",
    );
    assertEquals((await recordsOf(del)).map((r) => r.AgentName), ["A", "B", "C", "D", "E", "F"]);
    const again = await runCliProcess(["flush", "--from", saved], FULL_FLAGS, { TMPDIR: tmp });
    assertEquals(again.code, 0, again.stderr);
    assertEquals((await recordsOf(del)).map((r) => r.AgentName).join(""), "ABCDEFGH");
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("flush --from <journal> --json gives a line it does not put back here (another branch's) in journalOnly, with its branch and command, as flush --json of the folder does; failures keep its text (leftovers-54 2)", async () => {
  const { root, run } = await unionProject();
  await git(root, "checkout", "-q", "old"); // old has no RunRecords.csv
  const lost = (await run(...agentEmitArgs("OLD_RUN"))).stdout.trim();
  await git(root, "checkout", "-f", "-q", "main"); // git discards old's untracked file
  await git(root, "checkout", "-q", "old");
  assertEquals((await run(...agentEmitArgs("OLD_NEXT"))).code, 0); // a file of old's own
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "old's record file");
  await git(root, "checkout", "-q", "main");
  const folder = await run("flush", DEL, "--json");
  assertEquals(folder.code, 1, folder.stderr);
  const named = JSON.parse(folder.stdout).journalOnly;
  assertEquals(named.map((l: { runId: string; branch: string }) => [l.runId, l.branch]), [
    [lost, "old"],
  ]);
  const from = await run("flush", "--from", JOURNAL, "--json");
  assertEquals(from.code, 1, from.stderr);
  const json = JSON.parse(from.stdout);
  // Was: [], the line in failures as text alone.
  assertEquals(json.journalOnly, named);
  assertEquals(json.failures.length, 1, json.failures);
  assert(json.failures[0].includes(`not put back here: ${lost} is in no file`), json.failures[0]);
  assertEquals(Object.keys(json), Object.keys(JSON.parse(folder.stdout)));
});

/** A C1 control: CSI to a terminal that takes C1 controls (ECMA-48). */
const CSI = "\u009b";

/** Whether `text` holds a C1 control as itself (raw, not escaped). */
function rawC1(text: string): boolean {
  return /[\u0080-\u009f]/.test(text);
}

/**
 * `makeProject`'s project under git, its deliverable folder renamed to hold U+009B (`…_Bad<CSI>2J`,
 * which a pull request can name), `merge=union` for record files; `run` runs runrec in the root.
 */
async function projectWithCsiFolder() {
  const { root, del: made } = await makeProject();
  const del = join(made, "..", `DEL-01-02_Bad${CSI}2J`);
  await Deno.rename(made, del);
  await Deno.writeTextFile(join(root, ".gitattributes"), `${RECORD_FILE} merge=union\n`);
  await git(root, "init", "-q", "-b", "main");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "project");
  const env = { TMPDIR: await tempDir({ prefix: "runrec-csi-tmp-" }) };
  const run = (...args: string[]) => runCliProcess(args, undefined, env, root);
  const emit = async (agent: string, ...extra: string[]) => {
    const out = await run("emit", del, "--agent", agent, "--status", "SUCCESS", ...extra);
    assertEquals(out.code, 0, out.stderr);
    return out.stdout.trim();
  };
  return { root, del, env, run, emit };
}

Deno.test("the warnings of start, exec and annotate name a folder or an input holding a C1 control escaped; start's token stays as it is, and finish takes it (leftovers-54 3)", async () => {
  const { root, del, env, run, emit } = await projectWithCsiFolder();
  const placeholder = `{STARTED}${CSI}x.md`; // an input copied from an agent block unfilled
  const started = await run("start", del, "--agent", "4_DOCUMENTS", "--input", placeholder);
  assertEquals(started.code, 0, started.stderr);
  assert(!rawC1(started.stderr), started.stderr); // was: the --input warning raw
  assert(started.stderr.includes(`--input "{STARTED}\\u009bx.md" holds the placeholder`));
  // The token is the pending run's path, given back to finish byte for byte.
  const token = started.stdout.trim();
  assert(token.includes(CSI), token);
  const finished = await run("finish", token, "--status", "SUCCESS");
  assertEquals(finished.code, 0, finished.stderr);

  const exec = await run(
    "exec",
    del,
    "--agent",
    "4_DOCUMENTS",
    "--input",
    placeholder,
    "--",
    "true",
  );
  assertEquals(exec.code, 0, exec.stderr);
  assert(!rawC1(exec.stderr), exec.stderr); // was: the --input warning raw
  assert(exec.stderr.includes("holds the placeholder {STARTED}"), exec.stderr);

  // An annotation whose fsync fails (strace injects EIO): written, not confirmed, its file named.
  const runId = await emit("4_DOCUMENTS");
  const annotate = await new Deno.Command("strace", {
    args: [
      ...["-f", "-qq", "-o", "/dev/null", "-e", "trace=fsync,fdatasync"],
      ...["-e", "inject=fsync,fdatasync:error=EIO", Deno.execPath(), "run", ...FULL_FLAGS],
      ...[CLI_ENTRY, "annotate", del, runId, "--invalidates", "--note", "wrong inputs"],
    ],
    cwd: root,
    env: { ...env, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const annotated = new TextDecoder().decode(annotate.stderr);
  assertEquals(annotate.code, 0, annotated);
  assert(annotated.includes("written but not confirmed"), annotated);
  assert(annotated.includes("Bad\\u009b2J"), annotated);
  assert(!rawC1(annotated), annotated); // was: the record file's path raw

  // Held before: the swapped-RunIDs warning names the folder in ANSI-C quotes.
  const older = await emit("OLDER", "--started", "2026-03-01T09:00:00Z", "--duration", "1s");
  const newer = await emit("NEWER", "--started", "2026-03-02T09:00:00Z", "--duration", "1s");
  const swapped = await run("annotate", del, older, "--supersedes", newer, "--note", "redone");
  assertEquals(swapped.code, 0, swapped.stderr);
  assert(swapped.stderr.includes("now supersedes the newer run"), swapped.stderr);
  assert(!rawC1(swapped.stderr), swapped.stderr);
});

Deno.test("show's warnings of a RunID two merged clones share and of a line it cannot read name a folder holding a C1 control escaped (leftovers-54 3)", async () => {
  const { root, del, env, run, emit } = await projectWithCsiFolder();
  await emit("FIRST", "--started", "2026-03-01T08:00:00Z", "--duration", "1s");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "first");
  const clone = join(await tempDir({ prefix: "runrec-csi-clone-" }), "clone");
  await git(root, "clone", "-q", root, clone);
  const shared = await emit("SIDE", "--started", "2026-03-01T09:00:00Z", "--duration", "1s");
  const annotated = await run("annotate", del, shared, "--invalidates", "--note", "side's");
  assertEquals(annotated.code, 0, annotated.stderr);
  await git(root, "commit", "-qam", "upstream's run");
  // Another run of that minute in the clone: merged, the two share its RunID.
  const inClone = (...args: string[]) => runCliProcess(args, undefined, env, clone);
  const cloneDel = join(clone, del.slice(root.length));
  const mine = await inClone("emit", cloneDel, "--agent", "MINE", "--status", "SUCCESS", ...[
    "--started",
    "2026-03-01T09:00:20Z",
    "--duration",
    "1s",
  ]);
  assertEquals(mine.stdout.trim(), shared, mine.stderr);
  await git(clone, "commit", "-qam", "clone's run");
  await git(clone, "pull", "-q", "--no-rebase", "--no-edit");
  // A line no reader takes: a hand edit's.
  await Deno.writeTextFile(join(cloneDel, RECORD_FILE), "not a record\n", { append: true });
  const show = await inClone("show", cloneDel, shared);
  assertEquals(show.code, 0, show.stderr);
  const warnings = show.stderr.split("\n").filter((l) => l.includes("warning:"));
  assertEquals(warnings.length, 2, show.stderr);
  assert(warnings[0].includes(`${shared} appears 2 times`), warnings[0]);
  assert(warnings[1].includes("cannot be read"), warnings[1]);
  for (const warning of warnings) assert(warning.includes("Bad\\u009b2J"), warning);
  assert(!rawC1(show.stderr), show.stderr); // was: each of the three named the file raw
});

Deno.test("supersede cycles through records a put-back renumbered follow the RunIDs they have now: the cycle closing on the renumbered runs is refused, and THEIRS's runs that took the old RunIDs may supersede each other (leftovers-54 4)", async () => {
  const { local, run, older, newer, olderWas, newerWas } = await supersededThenRenumbered();
  const file = join(local, DEL, RECORD_FILE);
  const lines = await Deno.readTextFile(file);
  // OLDER' supersedes NEWER', which supersedes OLDER' (written as NEWER supersedes OLDER).
  const cycle = await run("annotate", DEL, older.RunID, "--supersedes", newer.RunID, "--note", "x");
  assertEquals(cycle.code, 2, cycle.stdout + cycle.stderr); // was: 0, a cycle written
  assert(
    cycle.stderr.includes(
      `${older.RunID} cannot supersede ${newer.RunID}: ${newer.RunID} already supersedes ` +
        older.RunID,
    ),
    cycle.stderr,
  );
  assertEquals(await Deno.readTextFile(file), lines);
  // THEIRS's runs hold the old RunIDs: nothing of ours relates them.
  const theirs = await run("annotate", DEL, olderWas.RunID, "--supersedes", newerWas.RunID, ...[
    "--note",
    "theirs redone",
  ]);
  assertEquals(theirs.code, 0, theirs.stderr); // was: 2, "already supersedes" through our note
  const show = await run("show", DEL, newerWas.RunID);
  assertEquals(show.code, 0, show.stderr);
  assert(!show.stderr.includes("supersede cycle"), show.stderr);
});

Deno.test("the git command a remedy names, run as printed on a pseudo-terminal, prints its output and ends: it waited in less for a key (leftovers-54 5)", async () => {
  const { root, del } = await makeProject();
  await git(root, "init", "-q", "-b", "main");
  const env = { TMPDIR: await tempDir({ prefix: "runrec-pager-tmp-" }) };
  const run = (...args: string[]) => runCliProcess(args, undefined, env, root);
  for (const [i, agent] of ["A", "B", "C", "D", "E"].entries()) {
    const notes = `${agent} `.repeat(300); // long lines: the diff is longer than any screen
    const out = await run(
      "emit",
      del,
      "--agent",
      agent,
      "--status",
      "SUCCESS",
      "--notes",
      notes,
      ...[
        "--started",
        `2026-03-01T09:0${i}:00Z`,
        "--duration",
        "1s",
      ],
    );
    assertEquals(out.code, 0, out.stderr);
  }
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "records");
  const base = (await git(root, "rev-parse", "HEAD")).trim();
  const file = join(del, RECORD_FILE);
  await Deno.writeTextFile(
    file,
    (await Deno.readTextFile(file)).replaceAll(",SUCCESS,", ",PARTIAL,"),
  );
  const verify = await run("verify", root, "--since", base);
  assertEquals(verify.code, 1, verify.stdout + verify.stderr);
  const command = verify.stdout.match(/`(git [^`]*diff [^`]+)` shows what changed/)
    ?.[1];
  assert(command !== undefined, verify.stdout);
  // As a harness runs it: a pseudo-terminal (script), nobody typing. The bound is for the
  // failure alone: the command ends as soon as git has printed the diff.
  const shown = await new Deno.Command("timeout", {
    args: ["20", "script", "-qec", command, "/dev/null"],
    cwd: root,
    stdin: "null",
    stdout: "piped",
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", TERM: "xterm" },
    clearEnv: true,
  }).output();
  assertEquals(shown.code, 0, `${command}: exit ${shown.code} (124: killed waiting in less)`);
  assert(new TextDecoder().decode(shown.stdout).includes(",PARTIAL,"), command); // coloured
});

Deno.test("log --format md shows an agent's control characters as the text outputs do (\\u009b, ␛), not as numeric entities a renderer decodes back to the control (leftovers-54 6)", async () => {
  const { root, del } = await makeProject();
  const env = { TMPDIR: await tempDir({ prefix: "runrec-md-tmp-" }) };
  const error = `a${CSI}2J b\u001b[31m c\u0085d e&#155;f`;
  const emitted = await runCliProcess(
    ["emit", del, "--agent", "A", "--status", "FAILED", "--error", error],
    undefined,
    env,
    root,
  );
  assertEquals(emitted.code, 0, emitted.stderr);
  const md = await runCliProcess(["log", del, "--format", "md"], undefined, env, root);
  assertEquals(md.code, 0, md.stderr);
  // Was: a&#155;2J b&#27;\[31m c&#133;d: cmark's HTML holds U+009B raw again for &#155;.
  assert(md.stdout.includes("a\\u009b2J b␛\\[31m c\\u0085d e&amp;#155;f"), md.stdout);
  assert(!/&#\d+;/.test(md.stdout.replaceAll("&amp;#", "")), md.stdout);
});
