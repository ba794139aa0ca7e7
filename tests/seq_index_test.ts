/**
 * The SEQ index: appends read only what was appended since the last, and the
 * RunID they allocate is the one a reading of the whole file gives, after a
 * union merge, a `--started` in the past, a lost or garbled index.
 */
import { join } from "node:path";
import { readSeqIndex, SeqIndex, seqIndexPath, STORE_EVERY_BYTES } from "../src/seq_index.ts";
import { appendRecord } from "../src/store.ts";
import { RECORD_FILE } from "../src/deliverable.ts";
import { assert, assertEquals } from "./assert.ts";
import { makeProject, sampleDraft, tempDir } from "./fixtures.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { CLI_ENTRY } from "./support/cli_entry.ts";
import { seededRandom } from "./seed.ts";

const MINUTE = "2026-11-30T10:15:";

function stamp(second: number): string {
  return `${MINUTE}${String(second).padStart(2, "0")}.000Z`;
}

/** Notes that make a record a third of the bytes after which the index is stored. */
const BULK = "x".repeat(STORE_EVERY_BYTES / 3);

/** The highest SEQ of a minute by a plain reading of every line (the oracle). */
async function highestSeq(file: string, prefix: string): Promise<number> {
  let max = 0;
  for (const line of (await Deno.readTextFile(file)).split("\n")) {
    const id = line.split(",")[1] ?? "";
    if (id.startsWith(prefix)) max = Math.max(max, Number(id.slice(prefix.length)));
  }
  return max;
}

Deno.test("seq index: stored once the file outgrew it, read back and trusted while the file only grew", async () => {
  const dir = await tempDir();
  const file = join(dir, RECORD_FILE);
  await appendRecord(file, sampleDraft({ RunTimestamp: stamp(0) }));
  assertEquals(readSeqIndex(file, (await Deno.stat(file)).size).size, 0, "a short file has none");
  for (let i = 1; i < 4; i++) {
    await appendRecord(file, sampleDraft({ RunTimestamp: stamp(i), Notes: BULK }));
  }
  const size = (await Deno.stat(file)).size;
  assert(size >= STORE_EVERY_BYTES);
  let index = readSeqIndex(file, size);
  assertEquals(index.size, size, "trusted: it saw every byte");
  assertEquals(index.lookup("RUN-DEL-01-02-20261130-1015-"), 4n);
  assertEquals(index.lookup("RUN-DEL-01-02-20261130-1016-"), 0n);
  assertEquals(index.lookup("RUN-DEL-01-02-20261130-1014-"), undefined);
  // A short append leaves it as it was, still trusted; the next append reads the line after it.
  await appendRecord(file, sampleDraft({ RunTimestamp: stamp(4) }));
  index = readSeqIndex(file, (await Deno.stat(file)).size);
  assertEquals(index.size, size);
  const next = await appendRecord(file, sampleDraft({ RunTimestamp: stamp(5) }));
  assertEquals(next.record.RunID, "RUN-DEL-01-02-20261130-1015-006");
  // The index is git-ignored state beside the file.
  assertEquals(await Deno.readTextFile(join(dir, ".runrec", ".gitignore")), "*\n");
  // Round trip of its stored form, SEQs of any length included.
  const wide = new SeqIndex();
  wide.see("RUN-DEL-01-02-20261130-1015-123456789012345678901");
  const back = SeqIndex.fromJSON(JSON.parse(JSON.stringify(wide)))!;
  assertEquals(back.lookup("RUN-DEL-01-02-20261130-1015-"), 123456789012345678901n);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("seq index: lines merged in before its end, a past --started and a garbled index give the right SEQ", async () => {
  const dir = await tempDir();
  const file = join(dir, RECORD_FILE);
  const prefix = "RUN-DEL-01-02-20261130-1015-";
  for (const bulk of [BULK, BULK, BULK]) await appendRecord(file, sampleDraft({ Notes: bulk }));
  await appendRecord(file, sampleDraft({ RunTimestamp: stamp(1) }));
  await appendRecord(file, sampleDraft({ RunTimestamp: stamp(2) }));
  assert(readSeqIndex(file, (await Deno.stat(file)).size).size > 0, "an index to mislead");
  // A union merge puts the other branch's record of the same minute (SEQ 007) before ours.
  const text = await Deno.readTextFile(file);
  const [header, ...lines] = text.trimEnd().split("\n");
  const ours = lines.find((l) => l.includes(`${prefix}001`))!;
  const theirs = ours.replace(`${prefix}001`, `${prefix}007`); // checksum aside: a RunID taken
  await Deno.writeTextFile(file, [header, theirs, ...lines].join("\n") + "\n");
  const merged = await appendRecord(file, sampleDraft({ RunTimestamp: stamp(3) }));
  assertEquals(merged.record.RunID, `${prefix}008`);
  // A later minute, then a run stamped in an earlier one: the whole file decides.
  await appendRecord(file, sampleDraft({ RunTimestamp: "2026-11-30T10:20:00.000Z" }));
  const past = await appendRecord(file, sampleDraft({ RunTimestamp: stamp(4) }));
  assertEquals(past.record.RunID, `${prefix}009`);
  // A garbled index is rebuilt.
  await Deno.writeTextFile(seqIndexPath(file), '{"size": 5, "latest": {"DEL-01-02": 7}}');
  const rebuilt = await appendRecord(file, sampleDraft({ RunTimestamp: stamp(5) }));
  assertEquals(rebuilt.record.RunID, `${prefix}010`);
  // An index that claims more than it saw (the same size, other bytes) is not trusted.
  const stored = JSON.parse(await Deno.readTextFile(seqIndexPath(file)));
  stored.latest["DEL-01-02"] = ["20261130-1015", "002"];
  await Deno.writeTextFile(seqIndexPath(file), JSON.stringify(stored));
  const lied = await appendRecord(file, sampleDraft({ RunTimestamp: stamp(6) }));
  assert(lied.record.RunID > `${prefix}002`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("seq index: random appends, merges and past stamps agree with a plain reading", async () => {
  const random = seededRandom("seq index");
  const dir = await tempDir();
  const file = join(dir, RECORD_FILE);
  for (let step = 0; step < 60; step++) {
    const minute = 10 + Math.floor(random() * 4);
    const second = Math.floor(random() * 60);
    const when = `2026-11-30T10:${minute}:${String(second).padStart(2, "0")}.000Z`;
    const prefix = `RUN-DEL-01-02-20261130-10${minute}-`;
    if (random() < 0.15) {
      // Another branch's lines arrive in the middle of the file.
      const [header, ...lines] = (await Deno.readTextFile(file).catch(() => "")).trimEnd().split(
        "\n",
      );
      if (lines.length > 1) {
        const at = 1 + Math.floor(random() * (lines.length - 1));
        const seq = String(1 + Math.floor(random() * 30)).padStart(3, "0");
        const moved = lines[0].replace(/RUN-DEL-01-02-\d{8}-\d{4}-\d+/, `${prefix}${seq}`);
        lines.splice(at, 0, moved);
        await Deno.writeTextFile(file, [header, ...lines].join("\n") + "\n");
      }
    }
    const expected = (await highestSeq(file, prefix).catch(() => 0)) + 1;
    // Some records long, so that the index is stored now and then, and trusted or not.
    const Notes = random() < 0.3 ? BULK : "";
    const { record } = await appendRecord(file, sampleDraft({ RunTimestamp: when, Notes }));
    assertEquals(record.RunID, `${prefix}${String(expected).padStart(3, "0")}`, `step ${step}`);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("seq index: emits killed right before storing it leave one temporary file at most, and the next emit none", async () => {
  const { root, del } = await makeProject();
  const emit = (strace: string[]) =>
    new Deno.Command(strace.length > 0 ? "strace" : Deno.execPath(), {
      args: [
        ...(strace.length > 0 ? ["-f", "-qq", "-o", "/dev/null", ...strace, Deno.execPath()] : []),
        "run",
        ...FULL_FLAGS,
        CLI_ENTRY,
        ...["emit", del, "--agent", "A", "--status", "SUCCESS"],
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
  const state = join(del, ".runrec");
  const file = join(del, RECORD_FILE);
  // A file long enough that an emit without an index stores one.
  for (let i = 0; i < 4; i++) await appendRecord(file, sampleDraft({ Notes: BULK }));
  const withoutIndex = () => Deno.remove(seqIndexPath(file)).catch(() => {});
  await withoutIndex();
  assertEquals((await emit([])).code, 0);
  // Storing the index is the emit's one rename once `.runrec/` exists: each emit is killed there.
  const killAtRename = ["-e", "trace=rename,renameat,renameat2", "-e", "inject=all:signal=KILL"];
  for (let i = 0; i < 3; i++) {
    await withoutIndex();
    assertEquals((await emit(killAtRename)).signal, "SIGKILL");
  }
  const temporaries = () => [...Deno.readDirSync(state)].filter((e) => e.name.endsWith(".tmp"));
  assertEquals(temporaries().length, 1, "what the killed emits left");
  await withoutIndex();
  assertEquals((await emit([])).code, 0);
  assertEquals(temporaries(), []);
  // The index is stored before the lock (review-45 F2): the killed emits appended nothing, as a
  // process killed before its append does; the others each once.
  const lines = (await Deno.readTextFile(file)).trimEnd().split("\n");
  assertEquals(lines.length, 1 + 4 + 2);
  await Deno.remove(root, { recursive: true });
});
