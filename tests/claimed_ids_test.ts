/**
 * Two deliverable folders that claim one DeliverableID (hostfiles F16: a
 * `_CONTEXT.md` copied with its ID) give their runs the same RunIDs: `verify`
 * of the root fails on both files, naming both folders and each repeated
 * RunID; `emit`/`start` warn (not only note) when another folder of the root
 * has the ID. Through the CLI, with real files.
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals, assertIncludes } from "./assert.ts";
import { type CliResult, runCli } from "./cli.ts";
import { makeProject, writeTree } from "./fixtures.ts";

/** Runs `runrec`, failing the test when it exits with another code than `code`. */
async function runrec(code: number, ...args: string[]): Promise<CliResult> {
  const result = await runCli(args);
  assertEquals(result.code, code, `${args.join(" ")}: ${result.stdout}${result.stderr}`);
  return result;
}

const STARTED = "2026-02-22T10:15:07Z";

/** A project whose folder DEL-01-03_Copy has the _CONTEXT.md of DEL-01-02_Thing. */
async function copiedContext(): Promise<{ root: string; del: string; copy: string }> {
  const { root, del } = await makeProject();
  const copy = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-03_Copy");
  await writeTree(copy, { "_CONTEXT.md": "**DeliverableID:** DEL-01-02\n" });
  return { root, del, copy };
}

Deno.test("F16: verify of a root fails when two folders claim one DeliverableID, naming both and each repeated RunID", async () => {
  const { root, del, copy } = await copiedContext();
  await runrec(
    0,
    "emit",
    del,
    "--agent",
    "DEPENDENCIES",
    "--status",
    "SUCCESS",
    "--started",
    STARTED,
  );
  const second = await runrec(
    0,
    ...["emit", copy, "--agent", "DEPENDENCIES", "--status", "SUCCESS", "--started", STARTED],
  );
  assertEquals(second.stdout.trim(), "RUN-DEL-01-02-20260222-1015-001"); // the same as the first's

  const result = await runrec(1, "verify", root);
  for (const folder of [del, copy]) {
    const file = join(folder, "RunRecords.csv");
    assertIncludes(
      result.stdout,
      `${file}:1: DeliverableID DEL-01-02 is claimed by 2 folders: ${del}, ${copy}`,
    );
    const other = join(folder === del ? copy : del, "RunRecords.csv");
    assertIncludes(
      result.stdout,
      `${file}:2: RunID RUN-DEL-01-02-20260222-1015-001 is also the RunID of ${other}:2`,
    );
    assertIncludes(result.stdout, `${file}: FAILED: 1 record, 2 errors, 0 warnings`);
  }
  const json = JSON.parse((await runrec(1, "verify", root, "--json")).stdout);
  assertEquals(json.ok, false);
  assertEquals(json.errors, 4);
  const checks = json.files.flatMap((f: { problems: { check: string; field: string }[] }) =>
    f.problems.map((p) => `${p.check} ${p.field}`)
  );
  assertEquals(checks.sort(), [
    "identity DeliverableID",
    "identity DeliverableID",
    "identity RunID",
    "identity RunID",
  ]);
  // Each folder alone is a deliverable whose records are sound.
  await runrec(0, "verify", del);

  // The copy given its own ID: no claim now; its record keeps the old ID (stale reads it as copied).
  await Deno.writeTextFile(join(copy, "_CONTEXT.md"), "**DeliverableID:** DEL-01-03\n");
  await runrec(0, "verify", root);
});

Deno.test("F16: a folder with no records yet that claims the ID is no failure yet; an archived root nested inside is its own", async () => {
  const { root, del, copy } = await copiedContext();
  await runrec(0, "emit", del, "--agent", "A", "--status", "SUCCESS", "--no-fsync");
  // Nothing is recorded under the shared ID in the copy yet (its first emit warns).
  const result = await runrec(0, "verify", root);
  assert(!result.stdout.includes("claimed"), result.stdout);
  await Deno.remove(copy, { recursive: true });
  // An archived copy of the project, an execution root of its own, has the same IDs by right.
  const archive = join(root, "Archive");
  await writeTree(archive, {
    "INIT.md": "# Init\n",
    "PKG-01_Pkg/1_Working/DEL-01-02_Thing/_CONTEXT.md": "**DeliverableID:** DEL-01-02\n",
  });
  await runrec(0, "emit", join(archive, "PKG-01_Pkg/1_Working/DEL-01-02_Thing"), ...[
    "--agent",
    "A",
    "--status",
    "SUCCESS",
    "--no-fsync",
  ]);
  const outer = await runrec(0, "verify", root);
  assert(!outer.stdout.includes("claimed"), outer.stdout);
});

Deno.test("F16: emit and start warn when _CONTEXT.md names an ID another folder of the root has; a moved folder's mismatch stays a note", async () => {
  const { del, copy } = await copiedContext();
  const emitted = await runrec(0, "emit", copy, "--agent", "A", "--status", "SUCCESS", "--json");
  const warning = "_CONTEXT.md names DEL-01-02, the folder DEL-01-03: recorded DEL-01-02; folder " +
    "../DEL-01-02_Thing has DEL-01-02 too: the runs of both get the same RunIDs";
  assertIncludes(emitted.stderr, `runrec: warning: ${warning}`);
  assert(!emitted.stderr.includes("runrec: note: _CONTEXT.md"), emitted.stderr);
  assertIncludes(JSON.parse(emitted.stdout).Notes, warning); // in the record too
  const started = await runrec(0, "start", copy, "--agent", "B");
  assertIncludes(started.stderr, `runrec: warning: ${warning}`);
  const finished = await runrec(0, "finish", started.stdout.trim(), "--status", "SUCCESS");
  assertIncludes(finished.stderr, `runrec: warning: ${warning}`);

  // No other folder has the ID (the folder was renamed from DEL-01-02): a note, as before.
  await Deno.remove(del, { recursive: true });
  const moved = await runrec(0, "emit", copy, "--agent", "A", "--status", "SUCCESS");
  assertIncludes(
    moved.stderr,
    "runrec: note: _CONTEXT.md names DEL-01-02, the folder DEL-01-03: recorded DEL-01-02\n",
  );
  assert(!moved.stderr.includes("warning"), moved.stderr);
  const start = await runrec(0, "start", copy, "--agent", "B");
  assert(!start.stderr.includes("warning"), start.stderr);
});

Deno.test("F16: a copy of a deliverable in a tool root (_Archive/) shares its ID by right: verify of the root and of the archive named with it passes", async () => {
  const { root, del } = await makeProject();
  await runrec(0, "emit", del, "--agent", "A", "--status", "SUCCESS", "--no-fsync");
  // Retired into _Archive/, then restarted under the same ID in its old place.
  const archived = join(root, "_Archive", "DEL-01-02_Thing");
  await Deno.mkdir(join(root, "_Archive"));
  await Deno.rename(del, archived);
  await writeTree(del, { "_CONTEXT.md": "**DeliverableID:** DEL-01-02\n" });
  await runrec(0, "emit", del, "--agent", "A", "--status", "SUCCESS", "--no-fsync", ...[
    "--started",
    STARTED,
    "--duration",
    "PT1S",
  ]);
  for (const targets of [[root], [root, join(root, "_Archive")], [del, archived]]) {
    const result = await runrec(0, "verify", ...targets);
    assert(!result.stdout.includes("claimed"), result.stdout);
  }
  // A different run under one of the copy's RunIDs is two runs under one name all the same.
  const [archivedRun] = (await Deno.readTextFile(join(archived, "RunRecords.csv"))).split("\n")[1]
    .split(",").slice(1, 2);
  const minute = archivedRun.replace(
    /^RUN-DEL-01-02-(\d{4})(\d\d)(\d\d)-(\d\d)(\d\d)-\d+$/,
    "$1-$2-$3T$4:$5:30Z",
  );
  const fresh = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-02_Thing");
  await Deno.remove(join(fresh, "RunRecords.csv"));
  await runrec(0, "emit", fresh, "--agent", "B", "--status", "SUCCESS", "--no-fsync", ...[
    "--started",
    minute,
    "--duration",
    "PT1S",
  ]);
  const collided = await runrec(1, "verify", root, join(root, "_Archive"));
  assertIncludes(collided.stdout, `RunID ${archivedRun} is also the RunID of`);
  assert(!collided.stdout.includes("claimed"), collided.stdout);
  // A project archived whole (an execution root of its own inside _Archive/) with two copies of
  // the deliverable: copies, no claim.
  await Deno.remove(fresh, { recursive: true });
  const old = join(root, "_Archive", "Old");
  await writeTree(old, { "INIT.md": "# Init\n" });
  for (const gen of ["gen1", "gen2"]) {
    await Deno.mkdir(join(old, `DEL-01-02_${gen}`));
    await Deno.copyFile(
      join(archived, "RunRecords.csv"),
      join(old, `DEL-01-02_${gen}`, "RunRecords.csv"),
    );
    await Deno.copyFile(
      join(archived, "_CONTEXT.md"),
      join(old, `DEL-01-02_${gen}`, "_CONTEXT.md"),
    );
  }
  const nested = await runrec(0, "verify", root, join(root, "_Archive"));
  assert(!nested.stdout.includes("claimed"), nested.stdout);
  // Two live folders with the ID still fail.
  await writeTree(fresh, { "_CONTEXT.md": "**DeliverableID:** DEL-01-02\n" });
  await runrec(0, "emit", fresh, "--agent", "A", "--status", "SUCCESS", "--no-fsync");
  const copy = join(root, "PKG-01_Pkg", "1_Working", "DEL-01-03_Copy");
  await writeTree(copy, { "_CONTEXT.md": "**DeliverableID:** DEL-01-02\n" });
  await runrec(0, "emit", copy, "--agent", "A", "--status", "SUCCESS", "--no-fsync");
  assertIncludes((await runrec(1, "verify", root)).stdout, "claimed by 2 folders");
});

Deno.test("F16: a restarted deliverable's record file holding a record of its retired copy in _Archive/ (a branch that recorded on the old deliverable, merged after the restart) fails naming the line; a snapshot that begins as the live file does is a copy (trial-pipeline3 F1)", async () => {
  const { root, del } = await makeProject();
  const file = join(del, "RunRecords.csv");
  await runrec(0, "emit", del, "--agent", "A", "--status", "SUCCESS", "--no-fsync");
  const [header, old] = (await Deno.readTextFile(file)).split("\n");
  // A snapshot taken now, then a run: the snapshot begins as the live file does.
  const snapshot = join(root, "_Reconciliation", "DEL-01-02_Thing");
  await writeTree(snapshot, { "RunRecords.csv": `${header}\n${old}\n` });
  await runrec(0, "emit", del, "--agent", "B", "--status", "SUCCESS", "--no-fsync");
  await runrec(0, "verify", root, join(root, "_Reconciliation"));
  await Deno.remove(join(root, "_Reconciliation"), { recursive: true });
  // Retired (the old record goes to _Archive/), restarted, and the old record merged back in.
  const archived = join(root, "_Archive", "DEL-01-02_Thing");
  await writeTree(archived, { "RunRecords.csv": `${header}\n${old}\n` });
  await Deno.remove(file);
  await runrec(0, "emit", del, "--agent", "PREPARATION", "--status", "SUCCESS", "--no-fsync");
  await Deno.writeTextFile(file, `${old}\n`, { append: true });
  const mixed = await runrec(1, "verify", root, join(root, "_Archive"));
  const runId = old.split(",")[1];
  assertIncludes(
    mixed.stdout,
    `${file}:3: record ${runId} is a run of the deliverable retired to ${
      join(archived, "RunRecords.csv")
    }`,
  );
});
