/**
 * `runrec verify`: checksums, duplicate RunIDs, and K-APPEND-1 against a real
 * git repository (appends, rewritten history, working-tree edits, unknown
 * revisions, union merges of parallel branches, the sandboxed build).
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/verify_test.ts
 * ```
 *
 * @module
 */
import { CLI_ENTRY } from "./support/cli_entry.ts";
import assert from "node:assert/strict";
import { runCli } from "./cli.ts";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { FULL_FLAGS, SANDBOXED_FLAGS } from "../src/cli/permissions.ts";
import { HEADER } from "../src/schema.ts";
import { journalPath } from "../src/journal.ts";
import { newSpoolEntry, spoolRecord } from "../src/spool.ts";
import { git, sampleDraft, tempDir } from "./fixtures.ts";
import { appendRecord } from "../src/store.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import type { RecordDraft } from "../src/append_types.ts";
import { verifyHistory, verifyRecordFile } from "../src/verify.ts";

const DENO = Deno.execPath();
const ENTRY = CLI_ENTRY;
const decoder = new TextDecoder();

interface Captured {
  code: number;
  out: string;
  err: string;
}

async function cli(args: string[]): Promise<Captured> {
  const { code, stdout, stderr } = await runCli(args);
  return { code, out: stdout, err: stderr };
}

async function cliProcess(
  flags: readonly string[],
  args: string[],
  cwd?: string,
): Promise<Captured> {
  const output = await new Deno.Command(DENO, {
    args: ["run", ...flags, ENTRY, ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: output.code,
    out: decoder.decode(output.stdout),
    err: decoder.decode(output.stderr),
  };
}

function draft(agent: string, timestamp = new Date().toISOString()): RecordDraft {
  return sampleDraft({ AgentName: agent, RunTimestamp: timestamp });
}

/** Branch `feature` appends a run stamped `featureAt`, then `main` one stamped `mainAt`; each commits. */
async function twoBranches(repo: string, file: string, featureAt: string, mainAt: string) {
  await git(repo, "checkout", "-qb", "feature");
  await appendRecord(file, draft("FEATURE", featureAt), { fsync: false });
  await git(repo, "commit", "-qam", "feature run");
  await git(repo, "checkout", "-q", "main");
  // As in two clones: the other has neither this one's journal nor the notes of the RunIDs given
  // in this repository (.git/runrec-locks), which keep its SEQ here.
  await Deno.remove(journalPath(file));
  await Deno.remove(join(repo, ".git", "runrec-locks"), { recursive: true });
  await appendRecord(file, draft("MAIN", mainAt), { fsync: false });
  await git(repo, "commit", "-qam", "main run");
}

/** A git repository whose deliverable folder (non-ASCII label) holds committed records. */
async function repository(): Promise<{ repo: string; dir: string; file: string; base: string }> {
  const repo = await tempDir({ prefix: "runrec-verify-" });
  const dir = join(repo, "PKG-01_Alpha", "DEL-01-02_Spéc ü");
  await Deno.mkdir(dir, { recursive: true });
  const file = join(dir, RECORD_FILE);
  await git(repo, "init", "-q");
  await Deno.writeTextFile(join(repo, ".gitattributes"), `${RECORD_FILE} merge=union\n`);
  await Deno.writeTextFile(join(dir, "Input.md"), "input\n");
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "scaffold");
  const base = await git(repo, "rev-parse", "HEAD");
  await appendRecord(file, draft("PREPARATION"), { fsync: false });
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "first run");
  await appendRecord(file, draft("4_DOCUMENTS"), { fsync: false });
  await git(repo, "commit", "-qam", "second run");
  return { repo, dir, file, base };
}

// ---------------------------------------------------------------- plain verify

Deno.test("verify: a clean file exits 0; a flipped byte exits 1 naming the line", async () => {
  const root = await tempDir();
  const dir = join(root, "DEL-01-02_X");
  await Deno.mkdir(dir);
  const file = join(dir, RECORD_FILE);
  for (const agent of ["A", "B", "C"]) await appendRecord(file, draft(agent), { fsync: false });
  const ok = await cli(["verify", dir]);
  assert.equal(ok.code, 0, ok.out + ok.err);
  assert.equal(ok.out, `${file}: ok: 3 records, 0 errors, 0 warnings\n`);
  const text = await Deno.readTextFile(file);
  const flipped = text.replace(",B,", ",b,");
  await Deno.writeTextFile(file, flipped);
  const bad = await cli(["verify", root]);
  assert.equal(bad.code, 1);
  assert.equal(bad.out.split("\n")[0], `${file}:3: RecordChecksum does not match the line`);
  assert.equal(await Deno.readTextFile(file), flipped, "verify must not modify the file");
});

Deno.test("verify: a line whose comma was flipped is corrupt, not torn", async () => {
  const root = await tempDir();
  const file = join(root, RECORD_FILE);
  for (const agent of ["A", "B"]) await appendRecord(file, draft(agent), { fsync: false });
  const lines = (await Deno.readTextFile(file)).split("\n");
  lines[1] = lines[1].replace(",A,", ",A;"); // 20 fields now: the reader alone says "torn"
  await Deno.writeTextFile(file, lines.join("\n"));
  const problems: string[] = [];
  const result = await verifyRecordFile(file, (p) => problems.push(`${p.line} ${p.check}`));
  assert.deepEqual(problems, ["2 checksum"]);
  assert.equal(result.errors, 1);
  // A real torn tail stays a warning.
  await Deno.writeTextFile(file, lines.join("\n") + "v1.0,RUN-DEL-01-02-2026");
  const again: string[] = [];
  await verifyRecordFile(file, (p) => again.push(`${p.line} ${p.check} ${p.severity}`));
  assert.deepEqual(again, ["2 checksum error", "4 torn warning"]);
});

Deno.test("verify: a record and an edited copy of it (same RunID, agent and RunTimestamp) are named an edited copy, with the fields changed", async () => {
  const root = await tempDir();
  const file = join(root, RECORD_FILE);
  const first = (await appendRecord(file, draft("A", "2026-05-01T10:11:00.000Z"), { fsync: false }))
    .record;
  const original = (await Deno.readTextFile(file)).split("\n")[1];
  // The record changed in place and re-checksummed, as a branch edit kept by a union merge.
  const body = original.slice(0, original.lastIndexOf(",")).replace(",SUCCESS,", ",FAILED,")
    .replace(",,", ",tampered,");
  const edited = `${body},${createHash("sha256").update(body).digest("hex")}`;
  await Deno.writeTextFile(file, `${await Deno.readTextFile(file)}${edited}\n`);
  const { code, out } = await cli(["verify", file]);
  assert.equal(code, 1, out);
  const [line] = out.split("\n");
  assert.match(
    line,
    new RegExp(
      `:3: RunID ${first.RunID}: line 3 is an edited copy of line 2 \\(same AgentName and ` +
        "RunTimestamp; RunStatus, ErrorSummary differ\\): one record changed and both versions kept, not two " +
        "runs; the commit that added the copy: `git --no-pager log --oneline --no-relative -S [0-9a-f]{64} -- \\S+`",
    ),
  );
  assert.doesNotMatch(out, /nothing to repair/);
});

Deno.test("verify: duplicate RunIDs fail naming both lines; identical lines said so, against their own first copy (git-config F3)", async () => {
  const root = await tempDir();
  const file = join(root, RECORD_FILE);
  const first = (await appendRecord(file, draft("A"), { fsync: false })).record;
  await appendRecord(file, draft("B"), { fsync: false });
  const lines = (await Deno.readTextFile(file)).split("\n").filter((l) => l !== "");
  // Line 4: the same line again (a union merge of the same record); line 5: same RunID, other record.
  const other =
    (await appendRecord(join(root, "other.csv"), { ...draft("Z"), RunID: first.RunID }, {
      fsync: false,
    })).record;
  const otherLine = (await Deno.readTextFile(join(root, "other.csv"))).split("\n")[1];
  assert.equal(other.RunID, first.RunID);
  // Line 6: line 5 again: a repeat of it, not a second collision with line 2 (git-config F3).
  await Deno.writeTextFile(file, [...lines, lines[1], otherLine, otherLine].join("\n") + "\n");
  const { code, out } = await cli(["verify", file]);
  assert.equal(code, 1);
  const report = out.trimEnd().split("\n");
  assert.deepEqual(report, [
    `${file}:4: warning: RunID ${first.RunID} repeats line 2 byte for byte: the same record, ` +
    "merged twice (a cherry-pick or squash merge, then a merge of the same branch); intact, " +
    "and read once",
    `${file}:5: RunID ${first.RunID} is already on line 2, a different record: line 2 A at ` +
    `${first.RunTimestamp}, line 5 Z at ${other.RunTimestamp}; two runs recorded apart (in two ` +
    "clones, on two branches, or one stashed) in the same minute got one RunID, SCHEMA.md 3.3; " +
    "both records are intact, nothing to repair: merge as it is, accepting this one failed " +
    'check (verify --since a later commit only warns of it); docs/CI.md, "Two branches, one minute"',
    `${file}:6: warning: RunID ${first.RunID} repeats line 5 byte for byte: the same record, ` +
    "merged twice (a cherry-pick or squash merge, then a merge of the same branch); intact, " +
    "and read once",
    `${file}: FAILED: 5 records, 1 error, 1 duplicate RunID, 2 warnings`,
  ]);
  const json = JSON.parse((await cli(["verify", file, "--json"])).out);
  assert.equal(json.ok, false);
  assert.equal(json.files[0].duplicates, 1);
  assert.deepEqual([json.records, json.errors, json.duplicates, json.warnings], [5, 1, 1, 2]);
  assert.deepEqual(json.files[0].problems.map((p: { line: number }) => p.line), [4, 5, 6]);
  // The repeat alone is one run: verify passes, and log lists it once.
  await Deno.writeTextFile(file, [...lines, lines[1]].join("\n") + "\n");
  assert.equal((await cli(["verify", file])).code, 0);
  const log = JSON.parse((await cli(["log", file, "--json"])).out);
  assert.deepEqual(log.map((r: { AgentName: string }) => r.AgentName), ["A", "B"]);
});

Deno.test("verify: many distinct RunIDs give no false duplicate", async () => {
  const root = await tempDir();
  const file = join(root, RECORD_FILE);
  const first = (await appendRecord(file, draft("A"), { fsync: false })).record;
  const line = (await Deno.readTextFile(file)).split("\n")[1];
  // 20000 valid records with distinct RunIDs, then the first line again: one duplicate.
  const { encodeRecord } = await import("../src/codec.ts");
  const body: string[] = [HEADER, line];
  for (let i = 2; i <= 20001; i++) {
    body.push(
      encodeRecord({ ...first, RunID: first.RunID.replace(/\d{3}$/, String(i).padStart(5, "0")) }),
    );
  }
  body.push(encodeRecord({ ...first, AgentName: "Z" })); // the first RunID, another record
  await Deno.writeTextFile(file, body.join("\n") + "\n");
  const problems: string[] = [];
  const result = await verifyRecordFile(file, (p) => problems.push(`${p.line}: ${p.message}`));
  assert.equal(result.records, 20002);
  assert.equal(result.duplicates, 1);
  assert.equal(problems.length, 1);
  assert.match(problems[0], new RegExp(`^20003: RunID ${first.RunID} is already on line 2, `));
});

// ---------------------------------------------------------------- --since

Deno.test("verify --since: appends committed one by one hold K-APPEND-1", async () => {
  const { repo, dir, file, base } = await repository();
  await appendRecord(file, draft("CHECKING"), { fsync: false });
  await git(repo, "commit", "-qam", "third run");
  await appendRecord(file, draft("UNCOMMITTED"), { fsync: false }); // working tree only
  const { code, out, err } = await cli(["verify", dir, "--since", base]);
  assert.equal(code, 0, out + err);
  assert.match(
    out,
    /note: not in [0-9a-f]{40}; checked from its first version, in commit [0-9a-f]{7}/,
  );
  assert.match(
    out,
    new RegExp(`K-APPEND-1 holds since ${base} \\(${base.slice(0, 7)}\\): 4 versions compared`),
  );
  const history = await verifyHistory(file, "HEAD~2");
  assert.equal(history.existedAtSince, true);
  assert.equal(history.commits.length, 2);
  assert.equal(history.gitPath, "PKG-01_Alpha/DEL-01-02_Spéc ü/RunRecords.csv");
  assert.equal(history.failure, undefined);
});

Deno.test("verify --since: a committed edit of an earlier record exits 1 naming commit and line", async () => {
  const { repo, dir, file, base } = await repository();
  const bytes = await Deno.readFile(file);
  const lines = decoder.decode(bytes).split("\n");
  const at = lines[0].length + 1 + lines[1].length + 1 + 20; // inside line 3
  bytes[at] = bytes[at] === 0x31 ? 0x32 : 0x31;
  await Deno.writeFile(file, bytes);
  await git(repo, "commit", "-qam", "tamper");
  const tamper = await git(repo, "rev-parse", "HEAD");
  await appendRecord(file, draft("LATER"), { fsync: false });
  await git(repo, "commit", "-qam", "later run");
  const { code, out } = await cli(["verify", dir, "--since", base]);
  assert.equal(code, 1);
  assert.match(
    out,
    new RegExp(
      `RunRecords\\.csv:3: K-APPEND-1 broken in commit ${tamper.slice(0, 7)} "tamper": ` +
        `line 3 differs \\(byte ${at + 1} of the file\\), against the version in [0-9a-f]{7}\n`,
    ),
  );
  const json = JSON.parse((await cli(["verify", dir, "--since", base, "--json"])).out);
  assert.equal(json.ok, false);
  assert.equal(json.files[0].history.failure.commit, tamper);
  assert.equal(json.files[0].history.failure.line, 3);
  assert.equal(json.files[0].errors, 1, "the tampered line's checksum fails too");
});

Deno.test("verify --since: an uncommitted truncation in the working tree exits 1", async () => {
  const { dir, file } = await repository();
  const text = await Deno.readTextFile(file);
  const lines = text.split("\n");
  await Deno.writeTextFile(file, lines.slice(0, 2).join("\n") + "\n"); // drop the second record
  const { code, out } = await cli(["verify", dir, "--since", "HEAD~1"]);
  assert.equal(code, 1);
  assert.match(
    out,
    /:3: K-APPEND-1 broken in the working tree: line 3: the file is cut to \d+ bytes \(was \d+\)/,
  );
  assert.match(out, /FAILED: 1 record, 0 errors, 0 warnings, K-APPEND-1 broken\n$/);
});

Deno.test("verify --since: unknown revision and no git work tree exit 2 with one line", async () => {
  const { dir } = await repository();
  const unknown = await cli(["verify", dir, "--since", "no-such-rev"]);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.out, "");
  assert.match(unknown.err, /^runrec verify: --since: unknown revision "no-such-rev" in .*\n$/);
  const outside = await tempDir();
  await appendRecord(join(outside, RECORD_FILE), draft("A"), { fsync: false });
  const nogit = await cli(["verify", outside, "--since", "HEAD"]);
  assert.equal(nogit.code, 2);
  assert.match(nogit.err, /not in a git work tree/);
});

Deno.test("verify --since: union merge of two branches that both appended passes, no duplicates", async () => {
  const { repo, dir, file, base } = await repository();
  await twoBranches(repo, file, "2026-03-01T10:00:00Z", "2026-03-01T11:00:00Z");
  await git(repo, "merge", "-q", "--no-edit", "feature");
  const merged = await Deno.readTextFile(file);
  assert.equal(merged.split("\n").filter((l) => l !== "").length, 5, "union kept both runs");
  const { code, out, err } = await cli(["verify", dir, "--since", base]);
  assert.equal(code, 0, out + err);
  assert.match(out, /ok: 4 records, 0 errors, 0 warnings, K-APPEND-1 holds\n/);
  assert.doesNotMatch(out, /duplicate/);
});

Deno.test("verify: parallel branches appending in the same minute collide on RunID; verify says so", async () => {
  const { repo, dir, file, base } = await repository();
  await twoBranches(repo, file, "2026-03-01T10:00:00Z", "2026-03-01T10:00:30Z");
  await git(repo, "merge", "-q", "--no-edit", "feature");
  const { code, out } = await cli(["verify", dir, "--since", base]);
  assert.equal(code, 1);
  assert.match(
    out,
    /:5: RunID RUN-DEL-01-02-20260301-1000-001 is already on line 4, a different record: line 4 MAIN at 2026-03-01T10:00:30Z, line 5 FEATURE at 2026-03-01T10:00:00Z; two runs recorded apart \(in two clones, on two branches, or one stashed\) in the same minute got one RunID/,
  );
  // The way out CI.md gives is in the message (trial-new F9).
  assert.match(
    out,
    /both records are intact, nothing to repair: merge as it is, accepting this one failed check \(verify --since a later commit only warns of it\); docs\/CI.md, "Two branches, one minute"\n/,
  );
  assert.match(out, /K-APPEND-1 holds\n$/);
  // A later change is checked from after the collision: an old collision is a warning there,
  // so it fails the merge that brought it, not every check after it.
  const merge = await git(repo, "rev-parse", "HEAD");
  await appendRecord(file, draft("LATER"), { fsync: false });
  await git(repo, "commit", "-qam", "a later run");
  const later = await cli(["verify", dir, "--since", merge]);
  assert.equal(later.code, 0, later.out);
  assert.match(
    later.out,
    new RegExp(
      `:5: warning: RunID RUN-DEL-01-02-20260301-1000-001 is already on line 4, .* \\(already so at ${merge}: not new in this range\\)\n`,
    ),
  );
  assert.equal((await cli(["verify", dir, "--since", base])).code, 1, "the range with the merge");
});

Deno.test("verify --since: a union merge from the other side (theirs first) is accepted with a note", async () => {
  const { repo, dir, file, base } = await repository();
  await twoBranches(repo, file, "2026-03-01T10:00:00Z", "2026-03-01T11:00:00Z");
  // Merge main's record in while standing on a copy of feature, then record the merge
  // on main with main as first parent: the merged file has feature's line first.
  await git(repo, "checkout", "-q", "feature");
  await git(repo, "merge", "-q", "--no-edit", "main");
  const mergedTree = await git(repo, "rev-parse", "HEAD^{tree}");
  await git(repo, "checkout", "-q", "main");
  const commit = await git(
    repo,
    "commit-tree",
    mergedTree,
    "-p",
    "main",
    "-p",
    "feature~1",
    "-m",
    "merge feature",
  );
  await git(repo, "reset", "-q", "--hard", commit);
  const { code, out, err } = await cli(["verify", dir, "--since", base]);
  assert.equal(code, 0, out + err);
  assert.match(out, /note: merge [0-9a-f]{7} placed 1 record line\(s\) from its other parent/);
  // A merge that also rewrites an old line is not what merge=union makes.
  const text = await Deno.readTextFile(file);
  await Deno.writeTextFile(file, text.replace("PREPARATION", "PREPARATIOM"));
  await git(repo, "commit", "-qam", "rewrite");
  assert.equal((await cli(["verify", dir, "--since", base])).code, 1);
});

Deno.test("verify --since: a file deleted and a file not yet in history", async () => {
  const { repo, dir, file } = await repository();
  const fresh = join(repo, "DEL-09-09_New");
  await Deno.mkdir(fresh);
  await appendRecord(join(fresh, RECORD_FILE), draft("A"), { fsync: false });
  const history = await verifyHistory(join(fresh, RECORD_FILE), "HEAD");
  assert.equal(history.failure, undefined);
  assert.match(history.notes.join(), /not in git history since HEAD; nothing to compare/);
  await git(repo, "rm", "-q", file);
  await git(repo, "commit", "-qm", "drop records");
  await Deno.writeTextFile(file, `${HEADER}\n`);
  const { code, out } = await cli(["verify", dir, "--since", "HEAD~1"]);
  assert.equal(code, 1);
  assert.match(out, /K-APPEND-1 broken in commit [0-9a-f]{7} "drop records": deletes the file/);
});

Deno.test("verify --since: a record file renamed and rewritten, or deleted from the work tree, fails", async () => {
  const { repo, dir } = await repository();
  const base = await git(repo, "rev-parse", "HEAD");
  // The deliverable's label renamed and a record dropped in the same commit: the file at
  // the new path is checked against the old path's history, and the old path is not "gone".
  const renamed = join(repo, "PKG-01_Alpha", "DEL-01-02_Renamed");
  await git(repo, "mv", dir, renamed);
  const text = await Deno.readTextFile(join(renamed, RECORD_FILE));
  await Deno.writeTextFile(join(renamed, RECORD_FILE), text.split("\n").toSpliced(1, 1).join("\n"));
  await git(repo, "commit", "-qam", "rename");
  const moved = await cli(["verify", repo, "--since", base]);
  assert.equal(moved.code, 1, moved.out);
  assert.match(
    moved.out,
    /DEL-01-02_Renamed\/RunRecords\.csv:2: K-APPEND-1 broken in commit [0-9a-f]{7} "rename": record RUN-\S+ \(line 2\) was removed, against the version of PKG-01_Alpha\/DEL-01-02_Spéc ü\/RunRecords\.csv in [0-9a-f]{7}; a record file is only appended to: put its lines back in that commit /,
  );
  assert.doesNotMatch(moved.out, /deleted or moved/);
  // Deleted and not committed; a folder with no record file left at all.
  await Deno.remove(join(renamed, RECORD_FILE));
  const deleted = await cli(["verify", join(repo, "PKG-01_Alpha"), "--since", "HEAD"]);
  assert.equal(deleted.code, 1, deleted.out);
  assert.match(deleted.out, /DEL-01-02_Renamed\/RunRecords\.csv: K-APPEND-1 broken/);
  assert.doesNotMatch(deleted.out, /no RunRecords\.csv found/);
  // An unknown revision is a usage error even where no record file is found.
  await Deno.mkdir(join(repo, "empty"));
  const unknown = await cli(["verify", join(repo, "empty"), "--since", "nope"]);
  assert.equal(unknown.code, 2);
});

// ---------------------------------------------------------------- subprocess

Deno.test("subprocess: verify --since with the full build, and the sandboxed build refusing", async () => {
  const { dir, base } = await repository();
  const full = await cliProcess(FULL_FLAGS, ["verify", dir, "--since", base]);
  assert.equal(full.code, 0, full.err);
  // The sandboxed build may use only the folder it is started in.
  const sandboxed = await cliProcess(SANDBOXED_FLAGS, ["verify", dir, "--since", base], dir);
  assert.equal(sandboxed.code, 2);
  assert.equal(sandboxed.out, "");
  assert.match(
    sandboxed.err,
    /^runrec verify: --since: this runrec has no permission to run programs/,
  );
  assert.equal(sandboxed.err.split("\n").length, 2, sandboxed.err);
  assert.doesNotMatch(sandboxed.err, /\n\s+at |Uncaught/);
  // Without --since the sandboxed build verifies as usual.
  const plain = await cliProcess(SANDBOXED_FLAGS, ["verify", dir], dir);
  assert.equal(plain.code, 0, plain.err);
  const unknown = await cliProcess(FULL_FLAGS, ["verify", dir, "--since", "nope"]);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.err.split("\n").length, 2);
});

Deno.test("verify: a header alone is a file with no records, not an empty one", async () => {
  const dir = await tempDir();
  const header = join(dir, "header.csv");
  const empty = join(dir, "empty.csv");
  await Deno.writeTextFile(header, `${HEADER}\n`);
  await Deno.writeTextFile(empty, "");
  const seen: string[] = [];
  const alone = await verifyRecordFile(header, (p) => seen.push(p.message));
  assert.deepEqual([alone.records, alone.warnings, seen], [0, 0, []]);
  const none = await verifyRecordFile(empty, (p) => seen.push(p.message));
  assert.deepEqual([none.warnings, seen], [1, ["file is empty (no header, no records)"]]);
  await Deno.remove(dir, { recursive: true });
});

// ---------------------------------------------------------------- non-ASCII bytes (defect 8)

/** A draft whose text fields and paths hold UTF-8 bytes 0x80-0x9F (em dash, euro sign). */
function nonAsciiDraft(agent: string, timestamp: string, text: string): RecordDraft {
  const output = `Résumé — ${text} €.md`;
  return sampleDraft({
    AgentName: agent,
    RunTimestamp: timestamp,
    Notes: `${text} — costs 5 € … “quoted”`,
    ErrorSummary: "",
    Host: `host—${text}`,
    OutputFiles: [output],
    OutputHashes: { [output]: "c".repeat(64) },
  });
}

Deno.test("verify --since: a merge=union merge of records holding em dashes and euro signs passes (defect 8)", async () => {
  const { repo, file, base } = await repository();
  // A second deliverable whose folder name holds an em dash and a euro sign.
  const dir = join(repo, "PKG-01_Alpha", "DEL-01-03_Spec — 5 €");
  await Deno.mkdir(dir);
  const other = join(dir, RECORD_FILE);
  for (const path of [file, other]) {
    await appendRecord(path, nonAsciiDraft("SHARED", "2026-03-01T09:00:00Z", "base"), {
      fsync: false,
    });
  }
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "non-ASCII base runs");
  // Each side appends a record full of 0x80-0x9F bytes to both files.
  await git(repo, "checkout", "-qb", "feature");
  for (const path of [file, other]) {
    await appendRecord(path, nonAsciiDraft("FEATURE", "2026-03-01T10:00:00Z", "feature ü"), {
      fsync: false,
    });
  }
  await git(repo, "commit", "-qam", "feature runs — €");
  await git(repo, "checkout", "-q", "main");
  for (const path of [file, other]) {
    await appendRecord(path, nonAsciiDraft("MAIN", "2026-03-01T11:00:00Z", "main ö"), {
      fsync: false,
    });
  }
  await git(repo, "commit", "-qam", "main runs — €");
  // feature takes main's runs too (a cherry-pick, merged by merge=union after its own), so
  // merging feature puts feature's line before main's: the first parent's version is not a
  // prefix, and the merge=union check must read the other side's lines as bytes.
  await git(repo, "checkout", "-q", "feature");
  await git(repo, "cherry-pick", "main");
  await git(repo, "checkout", "-q", "main");
  await git(repo, "merge", "-q", "--no-edit", "feature");
  const lines = (await Deno.readTextFile(other)).trimEnd().split("\n");
  assert.deepEqual(lines.slice(-2).map((l) => l.split(",")[3]), ["FEATURE", "MAIN"]);
  const { code, out, err } = await cli(["verify", join(repo, "PKG-01_Alpha"), "--since", base]);
  assert.equal(code, 0, out + err);
  assert.equal(out.match(/placed 1 record line\(s\) from its other parent/g)?.length, 2, out);
  assert.equal(out.match(/K-APPEND-1 holds\n/g)?.length, 2, out);
  // A real change of one of those bytes (— to –: E2 80 94 to E2 80 93) is still caught.
  const text = await Deno.readTextFile(other);
  await Deno.writeTextFile(other, text.replace("base —", "base –"));
  await git(repo, "commit", "-qam", "en dash for em dash");
  const tampered = await cli(["verify", dir, "--since", base]);
  assert.equal(tampered.code, 1, tampered.out);
  assert.match(tampered.out, /K-APPEND-1 broken in commit [0-9a-f]{7} "en dash for em dash"/);
});

// ---------------------------------------------------------------- renamed deliverable folders (defect 9)

/** Renames the deliverable folder of `repository()` to `label` with `git mv`; returns the new folder. */
async function renameDeliverable(repo: string, dir: string, label: string): Promise<string> {
  const renamed = join(repo, "PKG-01_Alpha", label);
  await git(repo, "mv", dir, renamed);
  return renamed;
}

Deno.test("verify <del-dir> --since: a folder renamed with its records rewritten in one commit fails (defect 9)", async () => {
  // Git's rename detection pairs the files: one record of two dropped.
  {
    const { repo, dir, base } = await repository();
    const renamed = await renameDeliverable(repo, dir, "DEL-01-02_Renamed");
    const file = join(renamed, RECORD_FILE);
    const lines = (await Deno.readTextFile(file)).split("\n");
    await Deno.writeTextFile(file, lines.toSpliced(1, 1).join("\n"));
    await git(repo, "commit", "-qam", "rename and rewrite");
    const { code, out } = await cli(["verify", renamed, "--since", base]);
    assert.equal(code, 1, out);
    assert.match(
      out,
      /note: renamed from PKG-01_Alpha\/DEL-01-02_Spéc ü\/RunRecords\.csv in commit/,
    );
    assert.match(
      out,
      /:2: K-APPEND-1 broken in commit [0-9a-f]{7} "rename and rewrite": record RUN-\S+ \(line 2\) was removed/,
    );
    const json = JSON.parse((await cli(["verify", renamed, "--since", base, "--json"])).out);
    assert.equal(json.ok, false);
    const history = json.files[0].history;
    assert.equal(history.pathAtSince, "PKG-01_Alpha/DEL-01-02_Spéc ü/RunRecords.csv");
    assert.equal(history.failure.previousPath, history.pathAtSince);
    assert.equal(history.renames.length, 1);
  }
  // Rewritten beyond git's rename detection (a header and one new record): the DeliverableID
  // of the folder name (DEL-01-02) still names the file it replaces.
  {
    const { repo, dir, base } = await repository();
    const renamed = await renameDeliverable(repo, dir, "DEL-01-02_Fresh_Start");
    const file = join(renamed, RECORD_FILE);
    await Deno.writeTextFile(file, `${HEADER}\n`);
    await appendRecord(file, draft("REWRITTEN"), { fsync: false });
    await git(repo, "add", "-A");
    await git(repo, "commit", "-qm", "start over");
    const status = await git(repo, "show", "--name-status", "-M", "--format=", "HEAD");
    assert.match(status, /^D\t/m, "git itself no longer sees a rename");
    const { code, out } = await cli(["verify", renamed, "--since", base]);
    assert.equal(code, 1, out);
    assert.match(out, /K-APPEND-1 broken in commit [0-9a-f]{7} "start over": line 2 differs/);
  }
});

Deno.test("verify --since: a folder renamed without touching its records passes, at the folder and at the root (defect 9)", async () => {
  const { repo, dir } = await repository();
  const base = await git(repo, "rev-parse", "HEAD"); // holds the record file at its old path
  const renamed = await renameDeliverable(repo, dir, "DEL-01-02_Renamed — 2");
  await git(repo, "commit", "-qm", "rename");
  for (const target of [renamed, repo]) {
    const { code, out, err } = await cli(["verify", target, "--since", base]);
    assert.equal(code, 0, out + err);
    assert.match(out, /note: renamed from PKG-01_Alpha\/DEL-01-02_Spéc ü\/RunRecords\.csv/);
    assert.match(out, /ok: 2 records, 0 errors, 0 warnings, K-APPEND-1 holds\n/);
    assert.doesNotMatch(out, /deleted or moved/);
  }
  const json = JSON.parse((await cli(["verify", repo, "--since", base, "--json"])).out);
  assert.deepEqual([json.ok, json.gone], [true, []]);
  // Renamed again, now only in the working tree (a plain `mv`, not staged): followed, and failed
  // until git is told, as the commit would delete the file and leave the other untracked
  // (review-k 2); once added, it passes.
  const again = join(repo, "PKG-01_Alpha", "DEL-01-02_Third");
  await Deno.rename(renamed, again);
  const untold = await cli(["verify", repo, "--since", base]);
  assert.equal(untold.code, 1, untold.out + untold.err);
  assert.match(
    untold.out,
    /DEL-01-02_Third\/RunRecords\.csv:1: K-APPEND-1 broken in the working tree: moved from PKG-01_Alpha\/DEL-01-02_Renamed — 2\/RunRecords\.csv, and git has not been told/,
  );
  await git(repo, "add", "-A");
  const working = await cli(["verify", repo, "--since", base]);
  assert.equal(working.code, 0, working.out + working.err);
  assert.match(
    working.out,
    /renamed from PKG-01_Alpha\/DEL-01-02_Renamed — 2\/RunRecords\.csv in the working tree/,
  );
  assert.match(
    working.out,
    /renamed from PKG-01_Alpha\/DEL-01-02_Spéc ü\/RunRecords\.csv in commit/,
  );
  // ... and rewritten there: the working tree's version breaks the rule.
  const file = join(again, RECORD_FILE);
  const lines = (await Deno.readTextFile(file)).split("\n");
  await Deno.writeTextFile(file, lines.toSpliced(1, 1).join("\n"));
  const rewritten = await cli(["verify", again, "--since", base]);
  assert.equal(rewritten.code, 1, rewritten.out);
  assert.match(rewritten.out, /in the working tree: record RUN-\S+ \(line 2\) was removed/);
});

Deno.test("verify --since: a folder renamed and a record appended in one commit passes (defect 9)", async () => {
  const { repo, dir } = await repository();
  const base = await git(repo, "rev-parse", "HEAD"); // holds the record file
  // A user's `log.follow` must not change which commits `verify` reads.
  await git(repo, "config", "log.follow", "true");
  const renamed = await renameDeliverable(repo, dir, "DEL-01-02_Renamed");
  await appendRecord(join(renamed, RECORD_FILE), draft("AFTER_RENAME"), { fsync: false });
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "rename and run");
  for (const target of [renamed, repo]) {
    const { code, out, err } = await cli(["verify", target, "--since", base]);
    assert.equal(code, 0, out + err);
    assert.match(out, /ok: 3 records, 0 errors, 0 warnings, K-APPEND-1 holds\n/);
  }
  // A new deliverable with another DeliverableID is not taken for a rename of a deleted one.
  await git(repo, "rm", "-rq", renamed);
  const other = join(repo, "PKG-01_Alpha", "DEL-01-09_Other");
  await Deno.mkdir(other, { recursive: true });
  await appendRecord(join(other, RECORD_FILE), draft("OTHER"), { fsync: false });
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "drop DEL-01-02, add DEL-01-09");
  const dropped = await cli(["verify", repo, "--since", base]);
  assert.equal(dropped.code, 1, dropped.out);
  assert.match(dropped.out, /DEL-01-09_Other\/RunRecords\.csv: ok: 1 record/);
  assert.match(
    dropped.out,
    /DEL-01-02_Renamed\/RunRecords\.csv: K-APPEND-1 broken in commit [0-9a-f]{7} "drop DEL-01-02, add DEL-01-09": deletes the file, which held \d+ records? at [0-9a-f]{7}; a record file is only appended to: restore it in that commit /,
  );
});

Deno.test("verify --since: one deliverable dropped and another added in one commit is no rename, though git pairs them (defect 9)", async () => {
  const repo = await tempDir({ prefix: "runrec-verify-" });
  await git(repo, "init", "-q");
  const dropped = join(repo, "DEL-01-02_Dropped");
  await Deno.mkdir(dropped);
  await appendRecord(join(dropped, RECORD_FILE), draft("A"), { fsync: false });
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "one run");
  const base = await git(repo, "rev-parse", "HEAD");
  await git(repo, "rm", "-rq", dropped);
  const added = join(repo, "DEL-01-09_Added");
  await Deno.mkdir(added);
  await appendRecord(
    join(added, RECORD_FILE),
    sampleDraft({ AgentName: "B", DeliverableID: "DEL-01-09" }),
    { fsync: false },
  );
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "swap deliverables");
  const status = await git(repo, "show", "--name-status", "-M", "--format=", "HEAD");
  assert.match(status, /^R\d+\tDEL-01-02_Dropped\/RunRecords\.csv\tDEL-01-09_Added/, status);
  const { code, out } = await cli(["verify", repo, "--since", base]);
  assert.equal(code, 1, out);
  assert.match(out, /DEL-01-09_Added\/RunRecords\.csv: ok: 1 record, .*K-APPEND-1 holds\n/);
  assert.match(
    out,
    /DEL-01-02_Dropped\/RunRecords\.csv: K-APPEND-1 broken in commit [0-9a-f]{7} "swap deliverables": deletes the file, which held \d+ records? at [0-9a-f]{7}; a record file is only appended to: restore it in that commit /,
  );
  assert.equal((await cli(["verify", added, "--since", base])).code, 0);
});

// ---------------------------------------------------------------- line ends, bytes, merges

Deno.test("verify --since: CR LF line ends from git's core.autocrlf checkout are not a rewrite", async () => {
  const { repo, dir, file, base } = await repository();
  await git(repo, "config", "core.autocrlf", "true");
  // A fresh checkout writes the committed LF lines with CR LF, as git does on Windows.
  await Deno.remove(file);
  await git(repo, "checkout", "--", file);
  const checkedOut = await Deno.readTextFile(file);
  assert.match(checkedOut, /\r\n/, "git converted the line ends");
  const crlf = await cli(["verify", dir, "--since", base]);
  assert.equal(crlf.code, 0, crlf.out + crlf.err);
  assert.match(crlf.out, /note: the working tree's line ends are git's conversion/);
  assert.match(crlf.out, /K-APPEND-1 holds/);
  // A run appended to it (an LF line after CR LF lines) commits as an append too.
  await Deno.writeTextFile(file, checkedOut + checkedOut.split("\r\n")[1] + "\n");
  assert.match((await cli(["verify", dir, "--since", base])).out, /K-APPEND-1 holds/);
  // An edit under the CR LF is still caught.
  await Deno.writeTextFile(file, checkedOut.replace("PREPARATION", "PREPARATIOM"));
  const edited = await cli(["verify", dir, "--since", base]);
  assert.equal(edited.code, 1, edited.out);
  assert.match(edited.out, /K-APPEND-1 broken in the working tree: line 2 differs/);
  // Without the conversion, CR LF is what git would commit: a rewrite of every line.
  await git(repo, "config", "core.autocrlf", "false");
  await Deno.writeTextFile(file, checkedOut);
  const rewritten = await cli(["verify", dir, "--since", base]);
  assert.equal(rewritten.code, 1, rewritten.out);
  assert.match(
    rewritten.out,
    /K-APPEND-1 broken in the working tree: only line ends changed \(LF -> CR LF\), records unchanged/,
  );
});

Deno.test("verify --since: CR LF records committed, then eol=lf: the working tree fails as its commit will, saying only line ends changed", async () => {
  const { repo, dir, file } = await repository();
  // Records committed with CR LF bytes (a tool or a Windows clone writing them, no conversion).
  await Deno.writeTextFile(file, (await Deno.readTextFile(file)).replaceAll("\n", "\r\n"));
  await git(repo, "commit", "-qam", "runs (CR LF)");
  const crlfBase = await git(repo, "rev-parse", "HEAD");
  // The team adds the attribute the tutorial recommends, and a run is appended (LF).
  await Deno.writeTextFile(join(repo, ".gitattributes"), `${RECORD_FILE} merge=union eol=lf\n`);
  await appendRecord(file, draft("CHIRALITY_LENS"), { fsync: false });
  const lineEnds =
    /only line ends changed \(CR LF -> LF\), records unchanged; .*commit the normalisation on its own \(`git add --renormalize \.`\) and verify --since that commit/;
  const working = await cli(["verify", dir, "--since", crlfBase]);
  assert.equal(working.code, 1, working.out + working.err);
  assert.match(working.out, /K-APPEND-1 broken in the working tree: only line ends changed/);
  assert.match(working.out, lineEnds);
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "attributes + a run");
  const committed = await cli(["verify", dir, "--since", crlfBase]);
  assert.equal(committed.code, 1, committed.out + committed.err);
  assert.match(committed.out, /broken in commit [0-9a-f]{7} "attributes \+ a run": only line ends/);
  assert.match(committed.out, lineEnds);
  // The remedy: verified since the normalising commit, the history holds.
  const after = await cli(["verify", dir, "--since", "HEAD"]);
  assert.equal(after.code, 0, after.out + after.err);
});

/**
 * A record line (with its `\n`) whose Notes are the raw `notes` bytes, its checksum taken
 * over those bytes: what a writer that does not check UTF-8 would leave.
 */
async function rawNotesLine(agent: string, timestamp: string, notes: Uint8Array) {
  const scratch = join(await tempDir(), RECORD_FILE);
  await appendRecord(
    scratch,
    sampleDraft({ AgentName: agent, RunTimestamp: timestamp, Notes: "@" }),
    {
      fsync: false,
    },
  );
  const line = (await Deno.readTextFile(scratch)).split("\n")[1];
  const [before, after] = line.slice(0, line.lastIndexOf(",")).split(",@,");
  const encoder = new TextEncoder();
  const body = new Uint8Array([
    ...encoder.encode(`${before},`),
    ...notes,
    ...encoder.encode(`,${after}`),
  ]);
  const checksum = createHash("sha256").update(body).digest("hex");
  return new Uint8Array([...body, ...encoder.encode(`,${checksum}\n`)]);
}

Deno.test("verify --since: a union-merged line whose bytes are not UTF-8 is compared as bytes", async () => {
  const { repo, dir, file, base } = await repository();
  await git(repo, "checkout", "-qb", "feature");
  const raw = await rawNotesLine(
    "FEATURE",
    "2026-03-01T10:00:00Z",
    new Uint8Array([0x80, 0x9f, 0xff]),
  );
  await Deno.writeFile(file, raw, { append: true });
  await git(repo, "commit", "-qam", "feature run, not UTF-8");
  await git(repo, "checkout", "-q", "main");
  await appendRecord(file, draft("MAIN", "2026-03-01T11:00:00Z"), { fsync: false });
  await git(repo, "commit", "-qam", "main run");
  await git(repo, "checkout", "-q", "feature");
  await git(repo, "cherry-pick", "main");
  await git(repo, "checkout", "-q", "main");
  await git(repo, "merge", "-q", "--no-edit", "feature");
  const history = await verifyHistory(file, base);
  assert.equal(history.failure, undefined, JSON.stringify(history.failure));
  assert.match(history.notes.join("\n"), /placed 1 record line\(s\) from its other parent/);
  // The file check still reports the line itself.
  const { code, out } = await cli(["verify", dir, "--since", base]);
  assert.equal(code, 1, out);
  assert.match(out, /:4: line is not valid UTF-8/);
  assert.match(out, /K-APPEND-1 holds\n$/);
});

Deno.test("verify --since: both sides appended the identical line (a cherry-pick): K-APPEND-1 holds, a repeat is a warning", async () => {
  // Each case: the order in which main and feature append their own run (M, F) and the shared
  // line (S), then what the union merge leaves and whether the identical line repeats.
  const cases = [
    { ours: "MS", theirs: "FS", merged: "MFS", repeated: false },
    { ours: "SM", theirs: "SF", merged: "SMF", repeated: false },
    { ours: "MS", theirs: "SF", merged: "MSSF", repeated: true },
  ];
  for (const { ours, theirs, merged, repeated } of cases) {
    const { repo, dir, file } = await repository();
    const base = await git(repo, "rev-parse", "HEAD");
    const scratch = join(await tempDir(), RECORD_FILE);
    await appendRecord(scratch, draft("SHARED", "2026-03-01T09:00:00Z"), { fsync: false });
    const shared = (await Deno.readTextFile(scratch)).split("\n")[1] + "\n";
    const append = async (run: string) => {
      if (run === "S") await Deno.writeTextFile(file, shared, { append: true });
      else {
        const at = run === "M" ? "2026-03-01T10:00:00Z" : "2026-03-01T11:00:00Z";
        await appendRecord(file, draft(run === "M" ? "MAIN" : "FEATURE", at), { fsync: false });
      }
      await git(repo, "commit", "-qam", run);
    };
    await git(repo, "checkout", "-qb", "feature");
    for (const run of theirs) await append(run);
    await git(repo, "checkout", "-q", "main");
    for (const run of ours) await append(run);
    await git(repo, "merge", "-q", "--no-edit", "feature");
    const agents = (await Deno.readTextFile(file)).trimEnd().split("\n").slice(3)
      .map((line) => line.split(",")[3].charAt(0)).join("");
    assert.equal(agents, merged, `${ours} + ${theirs}`);
    const { code, out } = await cli(["verify", dir, "--since", base]);
    assert.match(out, /K-APPEND-1 holds\n$/, out);
    assert.equal(code, 0, out); // a repeat is one record twice: intact, read once
    if (repeated) assert.match(out, /warning: RunID \S+ repeats line \d+ byte for byte/);
    else assert.doesNotMatch(out, /repeats line/);
  }
});

Deno.test("verify: one spool entry replayed on two branches, then merged, fails naming both records", async () => {
  const repo = await tempDir({ prefix: "runrec-replay-twice-" });
  const dir = join(repo, "DEL-01-02_Flow");
  await Deno.mkdir(dir);
  const file = join(dir, RECORD_FILE);
  await Deno.writeTextFile(join(repo, ".gitattributes"), `${RECORD_FILE} merge=union eol=lf\n`);
  await appendRecord(file, draft("BASE"), { fsync: false });
  await git(repo, "init", "-q", "-b", "main");
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "base");
  await git(repo, "branch", "b");
  const at = new Date().toISOString();
  const { path } = spoolRecord(dir, newSpoolEntry(file, draft("SPOOLED", at), "ENOSPC (test)"));
  // What a replay killed after its write leaves: the entry, though its record is in the file.
  const entry = await Deno.readFile(path);
  assert.equal((await runCli(["flush", dir])).code, 0);
  await git(repo, "commit", "-qam", "replayed on main");
  await git(repo, "checkout", "-q", "b");
  // b has a run of that minute of its own, so the second replay gets another RunID.
  await appendRecord(file, draft("B", at), { fsync: false });
  await Deno.writeFile(path, entry);
  assert.equal((await runCli(["flush", dir])).code, 0);
  await git(repo, "commit", "-qam", "replayed again on b");
  await git(repo, "checkout", "-q", "main");
  await git(repo, "merge", "-q", "--no-edit", "b");
  const lines = (await Deno.readTextFile(file)).trimEnd().split("\n");
  const replayed = lines.filter((l) => l.includes("replayed from spool entry"));
  assert.equal(replayed.length, 2, "the merge keeps both replays");
  const [first, second] = replayed.map((l) => l.split(",")[1]);
  const { code, stdout } = await runCli(["verify", dir]);
  assert.equal(code, 1, stdout);
  assert.match(
    stdout,
    new RegExp(
      `:${lines.indexOf(replayed[1]) + 1}: ${second} was replayed from spool entry [0-9a-f-]+, ` +
        `as ${first} on line ${lines.indexOf(replayed[0]) + 1} was: one spooled run written twice`,
    ),
  );
});

Deno.test("verify: the command an edited copy's message gives names the commit that added the copy, run from another folder of the work tree (suggested-commands F3)", async () => {
  const root = await Deno.realPath(await tempDir());
  await git(root, "init", "-q");
  const dir = join(root, "DEL-01-02_X");
  await Deno.mkdir(join(root, "elsewhere"));
  await Deno.mkdir(dir);
  const file = join(dir, RECORD_FILE);
  await appendRecord(file, draft("A", "2026-05-01T10:11:00.000Z"), { fsync: false });
  await git(root, "add", "-A");
  await git(root, "-c", "user.name=t", "-c", "user.email=t@t.invalid", "commit", "-qm", "run");
  const original = (await Deno.readTextFile(file)).split("\n")[1];
  const body = original.slice(0, original.lastIndexOf(",")).replace(",PT2M34.5S,", ",PT3M,");
  const edited = `${body},${createHash("sha256").update(body).digest("hex")}`;
  await Deno.writeTextFile(file, `${edited}\n`, { append: true });
  await git(root, "-c", "user.name=t", "-c", "user.email=t@t.invalid", "commit", "-qam", "edit");
  const { out } = await cli(["verify", file]);
  const command = /the commit that added the copy: `(.+?)`/.exec(out)?.[1] ?? assert.fail(out);
  const shown = await new Deno.Command("sh", {
    args: ["-c", command],
    cwd: join(root, "elsewhere"),
  })
    .output();
  assert.equal(shown.code, 0, new TextDecoder().decode(shown.stderr));
  assert.match(new TextDecoder().decode(shown.stdout), /^[0-9a-f]+ edit\n$/);
});
