/**
 * review60: lead-60's cut record file (a record cut in place after its append, SCHEMA.md 7.1),
 * attacked with real files, real git and runrec as real processes: a cut inside a character or
 * followed by blanks is a cut (the reader skips it as torn, so naming nothing lost the record),
 * and a cut a commit holds, put in place again by git, is the put-back's (verify had failed
 * naming it "no append puts it back" beside the warning that the next append would).
 *
 * ```sh
 * deno test -A tests/review60_test.ts
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { assertEquals, assertMatch } from "./assert.ts";
import { emitArgs, runCliProcess } from "./cli.ts";
import { git, makeProject, tempDir } from "./fixtures.ts";
import { committedProject, DEL, JOURNAL } from "./support/journal_lost.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { isCutFrom } from "../src/record_lines.ts";

/** A git project whose deliverable holds two records, the second's Notes not ASCII. */
async function twoRecords() {
  const { root, cli } = await committedProject();
  assertEquals((await cli(...emitArgs(DEL))).code, 0);
  assertEquals((await cli(...emitArgs(DEL, "--notes", "débit é"))).code, 0);
  const file = join(root, DEL, RECORD_FILE);
  const whole = (await Deno.readTextFile(file)).split("\n")[2];
  return { root, cli, file, whole, runId: whole.split(",")[1] };
}

/** The file's lines that hold `text`. */
async function linesWith(file: string, text: string): Promise<string[]> {
  return (await Deno.readTextFile(file)).split("\n").filter((line) => line.includes(text));
}

Deno.test("a record file cut in place inside a character of its last record, or with blanks after the cut: verify names the run only the journal holds whole (it passed, or failed on UTF-8 alone, the record lost), flush --from appends it once, and the cut line is a torn warning (review60)", async () => {
  const cuts: [string, (bytes: Uint8Array) => Uint8Array][] = [
    // The file's end inside the last é of Notes: its first byte kept.
    ["inside a character", (b) => b.subarray(0, b.lastIndexOf(0xc3) + 1)],
    ["blanks after", (b) => new Uint8Array([...b.subarray(0, b.length - 101), 32, 32, 9])],
  ];
  for (const [label, cut] of cuts) {
    const { cli, file, whole, runId } = await twoRecords();
    const bytes = cut(await Deno.readFile(file));
    const handle = await Deno.open(file, { write: true }); // in place: the same inode
    await handle.truncate(0);
    await handle.write(bytes);
    handle.close();

    const verify = await cli("verify", DEL);
    assertEquals(verify.code, 1, `${label}: ${verify.stdout}${verify.stderr}`);
    assertMatch(verify.stdout, new RegExp(`${runId} is in no file.*holds its line cut short`));
    const flush = await cli("flush", "--from", JOURNAL);
    assertEquals(flush.code, 0, `${label}: ${flush.stderr}`);
    assertMatch(flush.stdout, new RegExp(`^${runId} {2}put back into `));
    assertEquals((await linesWith(file, runId)).filter((l) => l === whole).length, 1, label);
    const after = await cli("verify", DEL);
    assertEquals(after.code, 0, `${label}: ${after.stdout}${after.stderr}`);
    assertMatch(after.stdout + after.stderr, /:3: warning: torn record/);
    assertMatch((await cli("flush", "--from", JOURNAL)).stdout, /nothing appended/);
  }
});

Deno.test("a record cut in place, committed so, and the file written again by git: the next append puts it back, and verify passes meanwhile with the put-back's warning, as for any line git dropped (it failed: 'no append puts it back') (review60)", async () => {
  const { root, cli, file, whole, runId } = await twoRecords();
  await git(root, "add", "-A");
  await git(root, "commit", "-qm", "two records");
  const bytes = await Deno.readFile(file);
  await Deno.writeFile(file, bytes.subarray(0, bytes.length - 100)); // in place
  await git(root, "commit", "-qam", "the cut committed");
  await Deno.remove(file);
  await git(root, "checkout", "--", join(DEL, RECORD_FILE)); // git's file: another inode

  const verify = await cli("verify", DEL);
  assertEquals(verify.code, 0, verify.stdout);
  assertMatch(verify.stderr, new RegExp(`took out of it wait in its journal.*${runId}`));
  assertEquals((await cli(...emitArgs(DEL))).code, 0);
  assertEquals((await linesWith(file, runId)).filter((l) => l === whole).length, 1);
  const after = await cli("verify", DEL);
  assertEquals(after.code, 0, after.stdout);
  assertMatch((await cli("flush", "--from", JOURNAL)).stdout, /nothing appended/);
});

Deno.test("outside git, a record file cut in place inside its second-last record, a run appended since: verify names the cut run and the one cut off after it, which only the journal holds (it passed, torn warning only, both records lost), and flush --from appends each once (review60)", async () => {
  const { root } = await makeProject();
  const env = { TMPDIR: await tempDir({ prefix: "runrec-review60-tmp-" }) };
  const cli = (...args: string[]) => runCliProcess(args, undefined, env, root);
  for (let i = 0; i < 3; i++) assertEquals((await cli(...emitArgs(DEL))).code, 0);
  const file = join(root, DEL, RECORD_FILE);
  const lines = (await Deno.readTextFile(file)).split("\n");
  const [cut, off] = [lines[2], lines[3]];
  const handle = await Deno.open(file, { write: true });
  await handle.truncate(new TextEncoder().encode(lines.slice(0, 2).join("\n")).length + 101);
  handle.close();
  assertEquals((await cli(...emitArgs(DEL))).code, 0);

  const verify = await cli("verify", DEL);
  assertEquals(verify.code, 1, verify.stdout);
  for (const [whole, why] of [[cut, "holds its line cut short"], [off, "truncated before it"]]) {
    assertMatch(verify.stdout, new RegExp(`${whole.split(",")[1]} is in no file.*${why}`));
  }
  const flush = await cli("flush", "--from", JOURNAL);
  assertEquals(flush.stdout.split("\n").filter((l) => / {2}put back into /.test(l)).length, 2);
  const after = (await Deno.readTextFile(file)).split("\n");
  for (const whole of [cut, off]) assertEquals(after.filter((l) => l === whole).length, 1);
  assertEquals((await cli("verify", DEL)).code, 0);
  assertMatch((await cli("flush", "--from", JOURNAL)).stdout, /nothing appended/);
});

Deno.test("a record file cut in place, other bytes after the cut that leave the line torn to the reader (a warning): verify names the run (it passed, the record lost), and flush --from appends it once, under the next SEQ with its note (the torn line holds its RunID) (review60)", async () => {
  const { cli, file, runId } = await twoRecords();
  const bytes = await Deno.readFile(file);
  const handle = await Deno.open(file, { write: true }); // in place: the same inode
  await handle.truncate(bytes.length - 101);
  await handle.seek(0, Deno.SeekMode.End);
  await handle.write(new TextEncoder().encode("x7 q"));
  handle.close();

  const verify = await cli("verify", DEL);
  assertEquals(verify.code, 1, verify.stdout);
  assertMatch(verify.stdout, new RegExp(`${runId} is in no file.*holds its line cut short`));
  const flush = await cli("flush", "--from", JOURNAL);
  assertMatch(flush.stdout, new RegExp(`^${runId} as (RUN-\\S+)  put back into `));
  const again = /^\S+ as (\S+)/.exec(flush.stdout)![1];
  assertEquals((await linesWith(file, again)).length, 1);
  assertEquals((await cli("verify", DEL)).code, 0);
  assertMatch((await cli("flush", "--from", JOURNAL)).stdout, /nothing appended/);
});

Deno.test("isCutFrom: a prefix, past zero bytes, blanks and a character cut through, is a cut; a whole line, another character or other bytes are not (review60)", () => {
  const whole = "v1.0,RUN-X-001,débit,ab";
  for (
    const line of [
      "v1.0,RUN-X-001,d",
      "v1.0,RUN-X-001,d\uFFFD",
      "v1.0,RUN-X-001,\0\0",
      "v1.0,RUN-X-001, \t\r",
    ]
  ) {
    assertEquals(isCutFrom(line, whole), true, JSON.stringify(line));
  }
  for (
    const line of [
      whole,
      `${whole}\0`,
      "v1.0,RUN-X-001,x",
      "v1.0,RUN-X-001,débit,a\uFFFD",
      "v1.0,RUN-X-001,dx ",
    ]
  ) {
    assertEquals(isCutFrom(line, whole), false, JSON.stringify(line));
  }
});
