/**
 * `verify --since REV` where REV is off HEAD's first-parent chain and HEAD
 * contains it (an audit after a merge): every record line REV's record
 * files held must still be in them at HEAD and in the working tree, with
 * real git merges (`-s ours` dropping lines, `merge=union` keeping them).
 *
 * ```sh
 * deno test --allow-read --allow-write --allow-env --allow-sys --allow-run --deny-net tests/verify_dropped_test.ts
 * ```
 *
 * @module
 */
import { changedFields } from "../src/changed_fields.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli as runCliResult } from "./cli.ts";
import { git, sampleDraft, tempDir } from "./fixtures.ts";
import { appendRecord } from "../src/store.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { firstMissingLine } from "../src/append_only.ts";
import { verifyHistory } from "../src/verify.ts";

/** The CLI in this process: exit code and standard output. */
async function runCli(args: string[]): Promise<{ code: number; out: string }> {
  const { code, stdout } = await runCliResult(args);
  return { code, out: stdout };
}

const DEL = join("PKG-01_Alpha", "DEL-01-02_Spéc — €");

async function append(file: string, agent: string, timestamp: string) {
  await Deno.mkdir(join(file, ".."), { recursive: true });
  await appendRecord(file, sampleDraft({ AgentName: agent, RunTimestamp: timestamp }), {
    fsync: false,
  });
}

/** A repository (merge=union recipe) whose deliverable holds two committed runs. */
async function repository(): Promise<{ repo: string; file: string }> {
  const repo = await Deno.realPath(await tempDir({ prefix: "runrec-dropped-" }));
  await git(repo, "init", "-q");
  await Deno.writeTextFile(join(repo, ".gitattributes"), `${RECORD_FILE} merge=union eol=lf\n`);
  const file = join(repo, DEL, RECORD_FILE);
  await append(file, "BASE0", "2026-03-01T00:00:00Z");
  await append(file, "BASE1", "2026-03-01T01:00:00Z");
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "base runs");
  return { repo, file };
}

/**
 * `feature` appends a run, `main` one in `mainFile`; `feature` merges
 * `main` (with `strategy` when given), and `main` fast-forwards to it.
 * Returns main's commit before the merge (the revision audited) and the merge.
 */
async function mergeBack(
  repo: string,
  file: string,
  mainFile: string,
  strategy: string[] = [],
): Promise<{ old: string; merge: string }> {
  await git(repo, "checkout", "-qb", "feature");
  await append(file, "FEATURE", "2026-03-02T00:00:00Z");
  await git(repo, "commit", "-qam", "feature run");
  await git(repo, "checkout", "-q", "main");
  await append(mainFile, "MAINREC", "2026-03-02T01:00:00Z");
  await git(repo, "add", "-A");
  await git(repo, "commit", "-qm", "main run");
  const old = await git(repo, "rev-parse", "HEAD");
  await git(repo, "checkout", "-q", "feature");
  await git(repo, "merge", "-q", "--no-edit", ...strategy, "main");
  const merge = await git(repo, "rev-parse", "HEAD");
  await git(repo, "checkout", "-q", "main");
  await git(repo, "merge", "-q", "--ff-only", "feature");
  return { old, merge };
}

/** The RunID of the line holding `agent` in `path` at `rev`, and that line's number. */
async function recordAt(repo: string, rev: string, path: string, agent: string) {
  const lines = (await git(repo, "show", `${rev}:${path}`)).split("\n");
  const line = lines.findIndex((l) => l.includes(`,${agent},`)) + 1;
  return { line, runId: lines[line - 1].split(",")[1] };
}

Deno.test("verify --since: records of a merged revision that a merge (-s ours) dropped fail, naming file, line and RunID", async () => {
  const { repo, file } = await repository();
  const { old, merge } = await mergeBack(repo, file, file, ["-s", "ours"]);
  assert.doesNotMatch(await Deno.readTextFile(file), /MAINREC/);
  const gitPath = `PKG-01_Alpha/DEL-01-02_Spéc — €/${RECORD_FILE}`;
  const { line, runId } = await recordAt(repo, old, gitPath, "MAINREC");
  assert.equal(line, 4);

  const { code, out } = await runCli(["verify", repo, "--since", old]);
  assert.equal(code, 1, out);
  assert.ok(
    out.includes(
      `${file}:4: K-APPEND-1 broken in commit ${merge.slice(0, 7)} ` +
        `"Merge branch 'main' into feature": record ${runId} (line 4) is not in HEAD's ` +
        `version: dropped by this merge or by the branch it merged, against the version in ` +
        `${old.slice(0, 7)}\n`,
    ),
    out,
  );
  assert.match(out, /FAILED: 3 records, 0 errors, 0 warnings, K-APPEND-1 broken\n/);
  const history = await verifyHistory(file, old);
  assert.deepEqual(
    { ...history.failure, message: undefined },
    {
      commit: merge,
      subject: "Merge branch 'main' into feature",
      previous: old,
      previousPath: gitPath,
      line: 4,
      message: undefined,
    },
  );

  // Followed across a rename of the deliverable folder after the merge.
  const renamed = join(repo, "PKG-01_Alpha", "DEL-01-02_Renamed");
  await git(repo, "mv", join(repo, DEL), renamed);
  await git(repo, "commit", "-qm", "rename the folder");
  const after = await runCli(["verify", repo, "--since", old]);
  assert.equal(after.code, 1, after.out);
  assert.ok(
    after.out.includes(
      `${join(renamed, RECORD_FILE)}:4: K-APPEND-1 broken in commit ${merge.slice(0, 7)} `,
    ),
    after.out,
  );
  assert.match(after.out, new RegExp(`against the version of ${gitPath} in ${old.slice(0, 7)}\n`));
});

Deno.test("verify --since: the same merge by merge=union (theirs placed after ours) holds, and its line removed from the working tree fails", async () => {
  const { repo, file } = await repository();
  const { old } = await mergeBack(repo, file, file);
  // MAINREC was line 4 at `old`; the union merge placed it after FEATURE's.
  const lines = (await Deno.readTextFile(file)).split("\n");
  assert.match(lines[3], /,FEATURE,/);
  assert.match(lines[4], /,MAINREC,/);
  const ok = await runCli(["verify", repo, "--since", old]);
  assert.equal(ok.code, 0, ok.out);
  assert.match(ok.out, /ok: 4 records, 0 errors, 0 warnings, K-APPEND-1 holds\n/);

  await Deno.writeTextFile(file, lines.filter((l) => !l.includes(",MAINREC,")).join("\n"));
  const bad = await runCli(["verify", repo, "--since", old]);
  assert.equal(bad.code, 1, bad.out);
  assert.match(bad.out, new RegExp(`${RECORD_FILE}:5: K-APPEND-1 broken in the working tree`));
});

Deno.test("verify --since: a record file the merged revision added is gone when a merge dropped it, or the working tree lost it", async () => {
  const dropped = await repository();
  const newFile = join(dropped.repo, "PKG-01_Alpha", "DEL-01-07_New", RECORD_FILE);
  const { old, merge } = await mergeBack(dropped.repo, dropped.file, newFile, ["-s", "ours"]);
  assert.equal(await Deno.stat(newFile).then(() => true, () => false), false);
  const { code, out } = await runCli(["verify", dropped.repo, "--since", old]);
  assert.equal(code, 1, out);
  assert.ok(
    out.includes(
      `${newFile}: K-APPEND-1 broken in commit ${merge.slice(0, 7)} "Merge branch 'main' into ` +
        `feature": the file is not in HEAD: ` +
        "deleted by this merge or by the branch it merged\n",
    ),
    out,
  );

  const kept = await repository();
  const keptFile = join(kept.repo, "PKG-01_Alpha", "DEL-01-07_New", RECORD_FILE);
  const merged = await mergeBack(kept.repo, kept.file, keptFile);
  const ok = await runCli(["verify", kept.repo, "--since", merged.old]);
  assert.equal(ok.code, 0, ok.out);
  await Deno.remove(keptFile);
  const gone = await runCli(["verify", kept.repo, "--since", merged.old]);
  assert.equal(gone.code, 1, gone.out);
  assert.ok(
    gone.out.includes(
      `${keptFile}: K-APPEND-1 broken: deleted in the working tree (not committed)\n`,
    ),
    gone.out,
  );
});

Deno.test("firstMissingLine: lines compared as bytes in any order; an unterminated last line counts as its text", () => {
  const bytes = (...parts: (string | number[])[]) =>
    new Uint8Array(
      parts.flatMap((p) => typeof p === "string" ? [...new TextEncoder().encode(p)] : p),
    );
  const runId = "RUN-DEL-01-02-20260301-0000-001";
  const earlier = bytes("h\n", `v1.0,${runId},x`, [0xe2, 0x80], "\n", "torn");
  assert.equal(
    firstMissingLine(earlier, bytes("torn\n", `v1.0,${runId},x`, [0xe2, 0x80], "\nh\n")),
    undefined,
  );
  // One byte of a non-UTF-8 sequence changed: the record is missing, named by its RunID, and the
  // later line holding that RunID with other bytes is named (githist-41 F2).
  assert.deepEqual(
    firstMissingLine(earlier, bytes("h\n", `v1.0,${runId},x`, [0xe2, 0x81], "\ntorn\n")),
    { line: 2, runId, changedAt: 2, fields: ["column 3"] }, // past the header "h"'s one name
  );
  assert.deepEqual(firstMissingLine(earlier, bytes("h\ntorn\n")), { line: 2, runId });
  assert.deepEqual(firstMissingLine(earlier, bytes(`v1.0,${runId},x`, [0xe2, 0x80], "\ntorn\n")), {
    line: 1,
    runId: undefined,
  });
});

Deno.test("changedFields: the columns an edit changed, by the header's names; the checksum only alone; a name that is no column name (control bytes) by its number (ci59)", () => {
  const header = "RunID,RunStatus,Notes,RecordChecksum";
  assert.deepEqual(changedFields(header, "R,FAILED,a,1", header, "R,SUCCESS,b,2"), [
    "RunStatus",
    "Notes",
  ]);
  assert.deepEqual(changedFields(header, "R,FAILED,a,1", header, "R,FAILED,a,2"), [
    "RecordChecksum",
  ]);
  const hostile = "RunID,\x1b[2JStatus,RecordChecksum";
  assert.deepEqual(changedFields(hostile, "R,A,1", hostile, "R,B,2"), ["column 2"]);
  assert.deepEqual(changedFields(header, 'R,"open', header, "R,A,b,2"), []);
});

Deno.test("changedFields: a record under a later version's header line is named by it, an added cell under an older header by number, a repeated name by number, past five names a count (review3-59)", async () => {
  const { checksumOf, encodeRecord, splitCells } = await import("../src/codec.ts");
  const { HEADER } = await import("../src/schema.ts");
  const { sampleRecord } = await import("./fixtures.ts");
  const { prefixProblem } = await import("../src/append_only.ts");
  const { fieldWords } = await import("../src/changed_fields.ts");
  const lineOf = (version: string, seq: number, added: string[], notes = "n") => {
    const RunID = `RUN-DEL-01-02-20260222-1015-00${seq}`;
    const v10 = encodeRecord(
      sampleRecord({ RunID, RunTimestamp: "2026-02-22T10:15:00Z", Notes: notes }),
    );
    const body = [version, ...splitCells(v10).slice(1, -1), ...added].join(",");
    return `${body},${checksumOf(body)}`;
  };
  const v11 = HEADER.replace(",RecordChecksum", ",ReviewedBy,RecordChecksum");
  const bytes = (lines: string[]) => new TextEncoder().encode(lines.join("\r\n") + "\r\n");
  const was = [HEADER, lineOf("v1.0", 1, []), v11, lineOf("v1.1", 2, ["alice"])];
  for (
    const [now, fields] of [[lineOf("v1.1", 2, ["mallory"]), ["ReviewedBy"]], [
      lineOf("v1.1", 2, ["alice"], "other"),
      ["Notes"],
    ]] as const
  ) {
    const edited = bytes([...was.slice(0, 3), now]);
    assert.deepEqual(firstMissingLine(bytes(was), edited)?.fields, fields);
    assert.deepEqual(prefixProblem(bytes(was), edited)?.fields, fields);
  }
  // A v1.1 record under v1.0's header (a merge of two versions' branches): its added cell.
  const [a, b] = [lineOf("v1.1", 2, ["alice"]), lineOf("v1.1", 2, ["bob"])];
  assert.deepEqual(changedFields(HEADER, a, HEADER, b), ["column 21"]);
  assert.deepEqual(changedFields("A,A,RecordChecksum", "x,1,c", "A,A,RecordChecksum", "y,1,d"), [
    "A",
  ]);
  const many = Array.from({ length: 1000 }, (_, i) => `column ${i + 1}`);
  assert.equal(
    fieldWords(many),
    ", fields column 1, column 2, column 3, column 4, column 5 and 995 more",
  );
});
