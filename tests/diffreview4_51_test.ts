/**
 * Review of stop 51's merged diffs run through the CLI: a record a merge appends after its
 * parents' lines (`verify --since`), and `flush --from` of a journal. Real git repositories,
 * the CLI as a process.
 *
 * ```sh
 * deno test -A tests/diffreview4_51_test.ts
 * ```
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { git } from "./fixtures.ts";
import { diverged, mergeStopped } from "./support/merge_stopped.ts";
import { DEL, JOURNAL, lostOnOld } from "./support/journal_lost.ts";
import { assert, assertEquals, assertIncludes } from "./assert.ts";

Deno.test("a run recorded during a merge whose line a CRLF editor ended in CR LF (no eol attribute) holds, as that line does in any commit, with the CRLF warning; it failed 'its RecordChecksum does not match its bytes'", async () => {
  const { root, emit, datasheet, base, file, verify } = await diverged(
    "RunRecords.csv merge=union -text\n",
  );
  await mergeStopped(root);
  assertEquals((await emit("DURING", "2026-01-04T00:00:00Z")).code, 0);
  const bytes = await Deno.readFile(file);
  const crlf = new Uint8Array([...bytes.subarray(0, -1), 13, 10]);
  await Deno.writeFile(file, crlf);
  await Deno.writeTextFile(datasheet, "# Datasheet\n\nboth\n");
  await git(root, "commit", "-qa", "--no-edit");
  const held = await verify(base);
  assertEquals(held.code, 0, held.stdout + held.stderr);
  assertIncludes(held.stdout, "line ends in CR LF; read without the CR");
  assertIncludes(held.stdout, "appended 1 record line(s) of no parent's version");
  // The same line changed by one byte still fails.
  crlf[crlf.length - 3] ^= 1;
  await Deno.writeFile(file, crlf);
  await git(root, "commit", "-qa", "--amend", "--no-edit");
  const failed = await verify(base);
  assertEquals(failed.code, 1, failed.stdout);
  assertIncludes(failed.stdout, "its RecordChecksum does not match its bytes");
  assert(!failed.stdout.includes("accepted"), failed.stdout);
});

/** `lostOnOld()` left on `old`, which has no record file. */
async function lostOnOldCheckedOut() {
  const lostRun = await lostOnOld();
  await git(lostRun.root, "checkout", "-q", "old");
  return lostRun;
}

Deno.test("flush --from of a journal where a folder stands at RunRecords.csv fails naming it, exit 1, as for a symbolic link there; it said 'no record only this journal holds', exit 0, where verify fails 'cannot read'", async () => {
  const { root, cli, lost } = await lostOnOldCheckedOut();
  const file = join(root, DEL, "RunRecords.csv");
  await Deno.mkdir(file);
  const flushed = await cli("flush", "--from", JOURNAL);
  assertEquals(flushed.code, 1, flushed.stdout + flushed.stderr);
  assertEquals(
    flushed.stderr,
    `runrec: warning: ${join(DEL, "RunRecords.csv")}: records only its journal holds not put ` +
      "back: not a regular file (a folder, FIFO or device)\n",
  );
  assertEquals(flushed.stdout, "");
  assertEquals([...Deno.readDirSync(file)], []);
  // Moved away, the folder leaves the record to put back.
  await Deno.remove(file);
  const put = await cli("flush", "--from", JOURNAL);
  assertEquals(put.code, 0, put.stderr);
  assertIncludes(put.stdout, `${lost}  put back into`);
});

/** The journal's last line made a record of SchemaVersion `version`, its checksum recomputed. */
async function journalLineOf(root: string, version: string): Promise<string> {
  const path = join(root, JOURNAL);
  const entries = (await Deno.readTextFile(path)).split("\n").filter(Boolean).map((line) =>
    JSON.parse(line)
  );
  const last = entries.at(-1);
  const body = version + last.line.slice(4, last.line.lastIndexOf(","));
  last.line = `${body},${createHash("sha256").update(body).digest("hex")}`;
  await Deno.writeTextFile(path, entries.map((e) => JSON.stringify(e)).join("\n") + "\n");
  return last.line.split(",")[1];
}

Deno.test("flush --from of a journal whose record is of another schema version (v2.0, v1.1: a newer runrec's) writes nothing and says so, exit 1; it began the file and wrote the line, then said 'not put back: post-write check'", async () => {
  for (const version of ["v2.0", "v1.1"]) {
    const { root, cli } = await lostOnOldCheckedOut();
    const runId = await journalLineOf(root, version);
    const flushed = await cli("flush", "--from", JOURNAL);
    assertEquals(flushed.code, 1, flushed.stdout + flushed.stderr);
    assertEquals(
      flushed.stderr,
      `runrec: warning: ${join(DEL, "RunRecords.csv")}: records only its journal holds not put ` +
        `back: ${runId}: SchemaVersion must be one of v1.0, got "${version}" (another runrec ` +
        "version's record: put it back with the runrec that wrote it)\n",
      version,
    );
    assertEquals(await git(root, "status", "--porcelain", "--", DEL), "", version);
    // Still named, with what to do.
    const verify = await cli("verify", DEL);
    assertEquals(verify.code, 1, verify.stdout);
    assertIncludes(verify.stdout, `${runId} is in no file, branch, tag or stash`);
  }
});

Deno.test("a record flush --from put back on a branch without the file, dropped there again by git checkout -f, is named once by verify and put back once; it was named twice (its two journal lines), 'FAILED: 1 record, 2 errors'", async () => {
  const { root, cli, lost } = await lostOnOldCheckedOut();
  const put = await cli("flush", "--from", JOURNAL);
  assertEquals(put.code, 0, put.stderr);
  await git(root, "checkout", "-f", "-q", "main");
  const verify = await cli("verify", DEL);
  assertEquals(verify.code, 1, verify.stdout);
  assertEquals(verify.stdout.split(`${lost} is in no file, branch, tag or stash`).length, 2);
  assertIncludes(verify.stdout, "FAILED: 1 record, 1 error");
  const again = await cli("flush", "--from", JOURNAL);
  assertEquals(again.code, 0, again.stderr);
  assertEquals(again.stdout.split("\n").filter(Boolean).length, 1, again.stdout);
  assertIncludes(again.stdout, `${lost}  put back into`);
  assertEquals((await cli("verify", DEL)).code, 0);
});
