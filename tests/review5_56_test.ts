/**
 * review5-56: durability-56's fsyncs attacked. A failure of one of the new
 * syncs (strace's `inject=fsync:error=EIO` on one path) must neither pass
 * silently for a durable write nor turn a record that is in its file into
 * one spooled and appended again.
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { FULL_FLAGS } from "../src/cli/permissions.ts";
import { CLI_ENTRY } from "./support/cli_entry.ts";
import { emitArgs, runCliProcess } from "./cli.ts";
import { makeProject } from "./fixtures.ts";
import { readRecords } from "../src/reader.ts";
import { RECORD_FILE } from "../src/deliverable.ts";

/** Runs the CLI with every fsync of a descriptor of `path` failing with `error`. */
async function withFailedFsync(
  path: string,
  error: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command("strace", {
    args: [
      ...["-f", "-qq", "-o", "/dev/null", "-P", path],
      ...["-e", "trace=fsync", "-e", `inject=fsync:error=${error}`],
      ...[Deno.execPath(), "run", ...FULL_FLAGS, CLI_ENTRY, ...args],
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

async function recordIds(del: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const e of readRecords(join(del, RECORD_FILE))) {
    if (e.kind === "record") ids.push(e.record.RunID);
  }
  return ids;
}

function isMissing(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return false;
  } catch {
    return true;
  }
}

Deno.test("review5-56: a failed fsync of a new RunRecords.csv's folder is reported as the file's is (written, not confirmed), never spooled; a failed fsync of the journal note spools nothing either", async () => {
  const { del } = await makeProject();
  // The record file is new: its folder's entry is what the failed fsync leaves unsynced.
  const first = await withFailedFsync(del, "EIO", emitArgs(del, "--strict"));
  assertEquals(first.code, 0, first.stderr);
  assert(
    /written but not confirmed: .*fsync failed/.test(first.stderr),
    `the folder's failed fsync passed silently:\n${first.stdout}${first.stderr}`,
  );
  assert(isMissing(join(del, ".runrec-spool")), "a record in its file was spooled");
  assertEquals((await recordIds(del)).length, 1);

  // The journal's note: the record is in its file, so it stays written once.
  const journal = join(del, ".runrec", "RunRecords.csv.journal");
  const second = await withFailedFsync(journal, "ENOSPC", emitArgs(del));
  assertEquals(second.code, 0, second.stderr);
  assert(second.stderr.includes("RunRecords.csv.journal"), second.stderr);
  assert(isMissing(join(del, ".runrec-spool")), "a record in its file was spooled");

  // A file system without a folder sync (EINVAL) is no failure: nothing to warn of.
  const { del: other } = await makeProject();
  const unsupported = await withFailedFsync(other, "EINVAL", emitArgs(other));
  assertEquals(unsupported.code, 0, unsupported.stderr);
  assert(!unsupported.stderr.includes("warning"), unsupported.stderr);

  // The next emit replays nothing: three records, each RunID once, verify ok.
  const third = await runCliProcess(emitArgs(del));
  assertEquals(third.code, 0, third.stderr);
  const ids = await recordIds(del);
  assertEquals(ids.length, 3, ids.join(" "));
  assertEquals(new Set(ids).size, 3);
  const verified = await runCliProcess(["verify", del]);
  assertEquals(verified.code, 0, verified.stdout + verified.stderr);
});
