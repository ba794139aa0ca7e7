/**
 * The read commands over a root holding record files that cannot be read
 * (a folder and a FIFO named RunRecords.csv, real ones): each is named in one
 * line, the other files are still read, and the exit code is 2, as every
 * command's --help says. The FIFO is never opened (that would block for ever).
 */
import { join } from "node:path";
import { RECORD_FILE } from "../src/deliverable.ts";
import { assert, assertEquals, assertIncludes } from "./assert.ts";
import { runCliProcess } from "./cli.ts";
import { git, makeProject } from "./fixtures.ts";

/** A project whose DEL-01-02 has one record, beside a folder and a FIFO named RunRecords.csv. */
async function rootWithUnreadable() {
  const { root, del } = await makeProject();
  const working = join(root, "PKG-01_Pkg", "1_Working");
  const folder = join(working, "DEL-01-01_Folder", RECORD_FILE);
  const fifo = join(working, "DEL-01-04_Fifo", RECORD_FILE);
  await Deno.mkdir(folder, { recursive: true });
  await Deno.mkdir(join(working, "DEL-01-04_Fifo"));
  const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
  assertEquals(made.code, 0);
  const emit = await runCliProcess(["emit", del, "--agent", "A", "--status", "SUCCESS"]);
  assertEquals(emit.code, 0, emit.stderr);
  return { root, good: join(del, RECORD_FILE), bad: [folder, fifo] };
}

/** Whether `stderr` names each of `files` in exactly one line that says why. */
function namesEach(stderr: string, files: string[]): void {
  for (const file of files) {
    const lines = stderr.split("\n").filter((line) => line.includes(file));
    assertEquals(lines.length, 1, stderr);
    assertIncludes(lines[0], "not a regular file (a folder, FIFO or device)");
  }
}

Deno.test("root targets: validate names each unreadable record file, checks the others, counts them in unreadable, exit 2", async () => {
  const { root, good, bad } = await rootWithUnreadable();
  try {
    const json = await runCliProcess(["validate", root, "--json"]);
    assertEquals(json.code, 2, json.stderr);
    const doc = JSON.parse(json.stdout);
    assertEquals([doc.records, doc.errors, doc.unreadable, doc.ok], [1, 0, 2, false]);
    const byPath = new Map(doc.files.map((f: { path: string }) => [f.path, f]));
    assertEquals((byPath.get(good) as { records: number }).records, 1);
    for (const file of bad) {
      assertIncludes((byPath.get(file) as { unreadable: string }).unreadable, "not a regular");
    }
    const text = await runCliProcess(["validate", root]);
    assertEquals(text.code, 2, text.stderr);
    assertIncludes(text.stdout, `${good}: ok: 1 record, 0 errors, 0 warnings\n`);
    namesEach(text.stderr, bad);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("root targets: verify names each unreadable record file, verifies the others, exit 2", async () => {
  const { root, good, bad } = await rootWithUnreadable();
  try {
    const json = await runCliProcess(["verify", root, "--json"]);
    assertEquals(json.code, 2, json.stderr);
    const doc = JSON.parse(json.stdout);
    assertEquals([doc.records, doc.unreadable, doc.ok], [1, 2, false]);
    const goodFile = doc.files.find((f: { path: string }) => f.path === good);
    assertEquals([goodFile.records, goodFile.ok], [1, true]);
    const text = await runCliProcess(["verify", root]);
    assertEquals(text.code, 2, text.stderr);
    assertIncludes(text.stdout, `${good}: ok: 1 record, 0 errors, 0 warnings\n`);
    namesEach(text.stderr, bad);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("root targets: log names each unreadable record file and lists the others' records, exit 2", async () => {
  const { root, bad } = await rootWithUnreadable();
  try {
    const log = await runCliProcess(["log", root, "--format", "jsonl"]);
    assertEquals(log.code, 2, log.stderr);
    const records = log.stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
    assertEquals(records.map((r) => [r.DeliverableID, r.AgentName]), [["DEL-01-02", "A"]]);
    namesEach(log.stderr, bad);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("root targets: stale names each unreadable record file and checks the other deliverables, exit 2", async () => {
  const { root, bad } = await rootWithUnreadable();
  try {
    const json = await runCliProcess(["stale", root, "--json"]);
    assertEquals(json.code, 2, json.stderr);
    const doc = JSON.parse(json.stdout);
    assertEquals(
      doc.checks.map((c: { deliverableId: string; verdict: string }) => [
        c.deliverableId,
        c.verdict,
      ]),
      [["DEL-01-02", "CLEAN"]],
    );
    assertEquals(doc.summary.unreadable, 2);
    assertEquals(doc.unreadable.length, 2);
    namesEach(doc.unreadable.join("\n"), bad);
    const text = await runCliProcess(["stale", root]);
    assertEquals(text.code, 2, text.stderr);
    assertIncludes(text.stdout, "CLEAN        DEL-01-02");
    assertIncludes(text.stdout, "2 record file(s) unreadable, not checked");
    namesEach(text.stderr, bad);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("root targets: export reads every record file, names each unreadable one and writes nothing, exit 2", async () => {
  const { root, good, bad } = await rootWithUnreadable();
  try {
    // A bad line in the readable file is still warned about: that file was read.
    await Deno.writeTextFile(good, "not,a,record\n", { append: true });
    const out = join(root, "lineage.jsonl");
    const exported = await runCliProcess(["export", root, "--format", "openlineage", "--out", out]);
    assertEquals(exported.code, 2, exported.stderr);
    assertEquals(exported.stdout, "");
    namesEach(exported.stderr, bad);
    assertIncludes(exported.stderr, `warning: ${good}:3: `);
    assertIncludes(exported.stderr, "nothing exported: 2 record files unreadable\n");
    await Deno.stat(out).then(
      () => assert(false, "nothing is written"),
      (e) => assert(e instanceof Deno.errors.NotFound),
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("root targets: a snapshot copy in a tool root (_Reconciliation/) is not read as a deliverable from the root; targeted itself, it is", async () => {
  const { root, del } = await makeProject();
  const emit = await runCliProcess(["emit", del, "--agent", "A", "--status", "SUCCESS"]);
  assertEquals(emit.code, 0, emit.stderr);
  const snapshot = join(root, "_Reconciliation", "SNAP-2026-12-01", "DEL-01-02_Thing");
  await Deno.mkdir(snapshot, { recursive: true });
  for (const name of [RECORD_FILE, "_CONTEXT.md", "_STATUS.md", "Datasheet.md"]) {
    await Deno.copyFile(join(del, name), join(snapshot, name));
  }
  // The copy's references no longer resolve: checked, it would be DIRTY.
  const log = await runCliProcess(["log", root, "--json"]);
  assertEquals(JSON.parse(log.stdout).length, 1, "the run once, not its copy too");
  const stale = await runCliProcess(["stale", root, "--propagate", "--json"]);
  assertEquals(stale.code, 0, stale.stdout + stale.stderr);
  const checks = JSON.parse(stale.stdout).checks as { folder: string }[];
  assertEquals(checks.length, 1);
  assert(!checks[0].folder.includes("_Reconciliation"), checks[0].folder);
  const verify = await runCliProcess(["verify", root]);
  assert(!verify.stdout.includes("_Reconciliation"), verify.stdout);
  // Asked for by name, the snapshot is read like any folder.
  const direct = await runCliProcess(["log", snapshot, "--json"]);
  assertEquals(JSON.parse(direct.stdout).length, 1);
  await Deno.remove(root, { recursive: true });
});

Deno.test("root targets: run from a folder inside a deliverable (its figures/), each command that found nothing there says where the deliverable is, exit 2, not a pass over nothing (agent-trial F3)", async () => {
  const { root, del } = await makeProject();
  const emitted = await runCliProcess(["emit", del, "--agent", "A", "--status", "SUCCESS"]);
  assertEquals(emitted.code, 0, emitted.stderr);
  const figures = join(del, "figures");
  await Deno.mkdir(figures);
  for (
    const args of [
      ["verify", "."],
      ["validate", "."],
      ["log", "."],
      ["export", ".", "--format", "prov"],
      ["reap", "."],
      ["reap"],
      ["flush", "."],
    ]
  ) {
    const ran = await runCliProcess(args, undefined, {}, figures);
    assertEquals(ran.code, 2, `${args.join(" ")}: ${ran.stdout}${ran.stderr}`);
    assertIncludes(ran.stderr, "in or beneath it; it is inside ");
    assertIncludes(
      ran.stderr,
      "it is inside .. (DEL-01-02_Thing): a slip of the path? (name the deliverable folder)",
    );
  }
  // start and emit say which deliverable it is inside, as the folder to name (agent-trial F5).
  for (
    const args of [["start", ".", "--agent", "A"], [
      "emit",
      ".",
      "--agent",
      "A",
      "--status",
      "SUCCESS",
    ]]
  ) {
    const ran = await runCliProcess(args, undefined, {}, figures);
    assertEquals(ran.code, 2, ran.stderr);
    assertIncludes(ran.stderr, "not a deliverable folder: no deliverable ID");
    assertIncludes(ran.stderr, "; it is inside .. (DEL-01-02_Thing)\n");
  }
  // With --since too, where history holds no record file there either.
  await git(root, "init", "-q");
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "records");
  const since = await runCliProcess(["verify", ".", "--since", "HEAD"], undefined, {}, figures);
  assertEquals(since.code, 2, since.stdout + since.stderr);
  assertIncludes(
    since.stderr,
    "no RunRecords.csv, now or at --since, in or beneath it; it is inside",
  );
  // A folder beside the deliverables with no records is no slip: nothing there, exit 0.
  const elsewhere = await runCliProcess(["verify", "_Decomposition"], undefined, {}, root);
  assertEquals(elsewhere.code, 0, elsewhere.stderr);
  assertIncludes(elsewhere.stdout, "no RunRecords.csv found under _Decomposition");
});

Deno.test("start and emit given the execution root or a package name the deliverable folders beneath it, to name one (newuser-42 F8)", async () => {
  const { root, del } = await makeProject();
  await Deno.mkdir(join(root, "PKG-01_Pkg", "1_Working", "DEL-01-03_Other"));
  await Deno.mkdir(join(root, "_Archive", "DEL-01-01_Retired"), { recursive: true });
  const cases: [string, string][] = [
    [".", "PKG-01_Pkg/1_Working/DEL-01-02_Thing, PKG-01_Pkg/1_Working/DEL-01-03_Other"],
    ["PKG-01_Pkg", "PKG-01_Pkg/1_Working/DEL-01-02_Thing, PKG-01_Pkg/1_Working/DEL-01-03_Other"],
  ];
  for (const [target, beneath] of cases) {
    for (const command of ["start", "emit"]) {
      const ran = await runCliProcess(
        [command, target, "--agent", "A", "--status", "SUCCESS"].slice(
          0,
          command === "start" ? 4 : 6,
        ),
        undefined,
        {},
        root,
      );
      assertEquals(ran.code, 2, ran.stderr);
      assertIncludes(ran.stderr, "not a deliverable folder: no deliverable ID");
      assertIncludes(ran.stderr, `; deliverable folders beneath it: ${beneath}: name one\n`);
    }
  }
  // A folder with none beneath it says nothing more.
  const refs = await runCliProcess(
    ["emit", "PKG-01_Pkg/0_References", "--agent", "A", "--status", "SUCCESS"],
    undefined,
    {},
    root,
  );
  assertEquals(refs.code, 2, refs.stderr);
  assertEquals(refs.stderr.includes("beneath"), false, refs.stderr);
  assertEquals(
    (await Array.fromAsync(Deno.readDir(del))).some((e) => e.name === "RunRecords.csv"),
    false,
  );
});
