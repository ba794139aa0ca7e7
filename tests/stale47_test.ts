/**
 * `runrec stale` at the edges stop 47 found wrong (stale-47): each was a
 * false CLEAN or a wrong verdict. Through the CLI, on generated projects, with
 * real files, FIFOs and links.
 *
 * @module
 */
import { join } from "node:path";
import { checkOf, evidence, mkfifo, runrec, stale } from "./support/stale_json.ts";
import { assert, assertEquals } from "./assert.ts";
import { makeProject } from "./fixtures.ts";
import { recordsOf } from "./support/runs.ts";

const decoder = new TextDecoder();

/**
 * A project whose deliverable holds `shared`, a link to the package's references: `shared/..` is
 * the package folder on disk, `shared/../x` the package's `x` for an agent, not the deliverable's.
 */
async function linkedPackage(): Promise<{ del: string; pkg: string }> {
  const { root, del } = await makeProject();
  await Deno.symlink("../../0_References", join(del, "shared"));
  return { del, pkg: join(root, "PKG-01_Pkg") };
}

Deno.test("stale: an --input folder that is a file or a FIFO now is DIRTY, the file added (a FIFO unreadable), whether the folder was empty or full at the run (stale-47 F1)", async () => {
  const { del } = await makeProject();
  await Deno.mkdir(join(del, "inp"));
  await runrec(0, "emit", del, "--agent", "A", "--status", "SUCCESS", "--input", "inp");
  assertEquals((await stale(del)).code, 0);
  // The folder, empty at the run, is a file now: what the agent would read under that name.
  await Deno.remove(join(del, "inp"));
  await Deno.writeTextFile(join(del, "inp"), "now a file\n");
  let { code, checks } = await stale(del);
  assertEquals(code, 1);
  assertEquals(evidence(checkOf(checks, "A")), [
    ["added", "inp", "now a governed input; a folder at the run"],
  ]);
  // A FIFO in its place: unreadable (as any input that cannot be read now), never CLEAN.
  await Deno.remove(join(del, "inp"));
  await mkfifo(join(del, "inp"));
  ({ code, checks } = await stale(del));
  assertEquals(code, 1);
  assertEquals(evidence(checkOf(checks, "A")), [
    ["unreadable", "inp", "now a governed input; not a regular file; a folder at the run"],
  ]);
  // A folder that held a file: its file is removed, and the file in its place added.
  await Deno.mkdir(join(del, "full"));
  await Deno.writeTextFile(join(del, "full", "a.md"), "a\n");
  await runrec(0, "emit", del, "--agent", "B", "--status", "SUCCESS", "--input", "full");
  await Deno.remove(join(del, "full"), { recursive: true });
  await Deno.writeTextFile(join(del, "full"), "a\n");
  ({ checks } = await stale(del));
  assertEquals(evidence(checkOf(checks, "B")), [
    ["added", "full", "now a governed input; a folder at the run"],
    ["removed", "full/a.md", "deleted"],
  ]);
});

Deno.test("stale: a History row of free text added to _STATUS.md (no date, or no state) is DIRTY, not a lifecycle edit; a dated row naming a state stays a note (stale-47 F2)", async () => {
  const { del } = await makeProject();
  const status = join(del, "_STATUS.md");
  const head = (state: string) =>
    `# Status: DEL-01-02 Thing\n\n**Current State:** ${state}\n**Last Updated:** 2026-02-22\n\n` +
    "## History\n- 2026-02-21 — State set to OPEN (PREPARATION)\n";
  await Deno.writeTextFile(status, head("OPEN"));
  await runrec(0, "emit", del, "--agent", "A", "--status", "SUCCESS", "--input", "_STATUS.md");
  // What a change of state writes: a note, CLEAN.
  await Deno.writeTextFile(
    status,
    head("INITIALIZED") + "- 2026-02-23 — State set to INITIALIZED (4_DOCUMENTS)\n",
  );
  let check = checkOf((await stale(del)).checks, "A");
  assertEquals(check.verdict, "CLEAN", JSON.stringify(check));
  // Words an agent reading the file reads, in the shape of a row: a change.
  for (
    const row of [
      "- 2026-02-23 — Client says: HART only, no Foundation Fieldbus\n",
      "- Client says: HART only\n",
      "| | | | | HART only |\n",
    ]
  ) {
    await Deno.writeTextFile(status, head("OPEN") + row);
    const { code, checks } = await stale(del);
    check = checkOf(checks, "A");
    assertEquals([code, evidence(check)], [1, [["changed", "_STATUS.md", undefined]]], row);
  }
});

Deno.test("stale: _STATUS.md's Current State replaced by words that are no lifecycle state is DIRTY, not a lifecycle edit to TBD (stale-47 F3)", async () => {
  const { del } = await makeProject();
  const status = join(del, "_STATUS.md");
  const text = await Deno.readTextFile(status);
  await runrec(0, "emit", del, "--agent", "A", "--status", "SUCCESS", "--input", "_STATUS.md");
  // A state moved on: a note.
  await Deno.writeTextFile(status, text.replace("OPEN", "INITIALIZED"));
  let check = checkOf((await stale(del)).checks, "A");
  assertEquals(check.verdict, "CLEAN", JSON.stringify(check));
  // Words in its place, read as TBD: what the agent reads there changed.
  await Deno.writeTextFile(status, text.replace("OPEN", "range now 0-10 bar, redo the datasheet"));
  const { code, checks } = await stale(del);
  check = checkOf(checks, "A");
  assertEquals([code, evidence(check)], [1, [["changed", "_STATUS.md", undefined]]]);
  assert(!check.notes.some((n) => n.includes("only its lifecycle")), check.notes.join(" | "));
});

Deno.test("emit --input link/../file records the file the system reads there (past the link's target), and stale sees it change (stale-47 F4)", async () => {
  const { del, pkg } = await linkedPackage();
  await Deno.writeTextFile(join(pkg, "Notes.md"), "the package's notes\n");
  await Deno.writeTextFile(join(del, "Notes.md"), "the deliverable's notes\n");
  const cat = await new Deno.Command("cat", { args: ["shared/../Notes.md"], cwd: del }).output();
  assertEquals(decoder.decode(cat.stdout), "the package's notes\n"); // what an agent reads
  await runrec(
    0,
    "emit",
    del,
    "--agent",
    "A",
    "--status",
    "SUCCESS",
    "--input",
    "shared/../Notes.md",
  );
  const lines = (await Deno.readTextFile(join(del, "RunRecords.csv"))).trim().split("\n");
  assert(lines[1].includes(",../../Notes.md,"), lines[1]); // InputFiles
  assertEquals((await stale(del)).code, 0);
  // The file read changes: DIRTY. (Recorded as the deliverable's Notes.md, it stayed CLEAN.)
  await Deno.writeTextFile(join(pkg, "Notes.md"), "the package's notes, edited\n");
  const { code, checks } = await stale(del);
  assertEquals(code, 1);
  assertEquals(evidence(checkOf(checks, "A")), [["changed", "../../Notes.md", undefined]]);
});

Deno.test("emit --output link/../file records and hashes the file the system writes there (past the link's target), as --input does (stale-47 F4's left item)", async () => {
  const { del, pkg } = await linkedPackage();
  await Deno.writeTextFile(join(pkg, "Report.md"), "the package's report\n");
  await Deno.writeTextFile(join(del, "Report.md"), "the deliverable's report\n");
  await runrec(
    0,
    "emit",
    del,
    "--agent",
    "A",
    "--status",
    "SUCCESS",
    "--output",
    "shared/../Report.md",
  );
  const record = (await recordsOf(del)).at(-1)!;
  assertEquals(record.OutputFiles, ["../../Report.md"]);
  // The oracle: sha256sum of the file the system reads at that path.
  const out = await new Deno.Command("sha256sum", { args: ["shared/../Report.md"], cwd: del })
    .output();
  const sha = decoder.decode(out.stdout).split(" ")[0];
  assertEquals(record.OutputHashes, { "../../Report.md": sha });
});

Deno.test("emit --output sub/../file of a deliverable reached through a linked folder records the file's path from the deliverable, as without the link (the fix of --output link/../file kept it so)", async () => {
  const { root, del } = await makeProject();
  const link = `${root}-link`;
  await Deno.symlink(root, link);
  await Deno.writeTextFile(join(del, "Report.md"), "the deliverable's report\n");
  const viaLink = join(link, del.slice(root.length));
  const out = await runrec(
    0,
    "emit",
    viaLink,
    "--agent",
    "A",
    "--status",
    "SUCCESS",
    "--output",
    "sub/../Report.md",
  );
  assert(!out.stderr.includes("outside"), out.stderr);
  const record = (await recordsOf(del)).at(-1)!;
  assertEquals(record.OutputFiles, ["Report.md"]);
  await Deno.remove(link);
});
