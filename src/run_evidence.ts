/**
 * What the finish of a started run can tell beyond what its agent reported:
 * other runs active in the same deliverable folder meanwhile (their outputs
 * may be counted as this run's), inputs that changed during the run without
 * being named as outputs, and outputs named that the run did not change.
 * Each is one note for the record's Notes; none changes a field.
 *
 * @module
 */
import { join, resolve } from "./path.ts";
import { hashFiles } from "./hash.ts";
import { resolvedPath } from "./lookups.ts";
import { isSha256Hex } from "./sha256.ts";
import { listPendingRuns, type PendingRun } from "./pending.ts";
import { startMark } from "./recorded_runs.ts";
import { agentText, NAMED_RUNS } from "./agent_notes.ts";
import { type ReadEnd, readRecordsOn } from "./reader.ts";
import { type FileMark, fileMark } from "./appended.ts";
import { RECORD_FILE } from "./deliverable.ts";
import type { RecordDraft } from "./append_types.ts";
import { parseDuration } from "./time.ts";
import { type RunRecord, TBD } from "./schema.ts";
import { ANNOTATION_AGENT } from "./annotation_shape.ts";

/** How many runs or files one note names before it says how many more. */
const NAMED = 5;

/** `a, b, c` and how many more than {@linkcode NAMED}. */
function names(items: readonly string[]): string {
  const more = items.length - NAMED;
  return items.slice(0, NAMED).join(", ") + (more > 0 ? ` and ${more} more` : "");
}

/**
 * Where `delDir`'s record file ends now, for a run about to start: taken
 * before the run's start time, so that every record appended after that time
 * lies past it. `undefined` when there is no file to mark (then a finish reads
 * the whole file, all of it appended during the run).
 *
 * @example
 * ```ts
 * import { recordFileMark } from "./run_evidence.ts";
 * recordFileMark("DEL-01-02_X"); // { size: 12345, tail: "9f86d0…" }
 * ```
 */
export function recordFileMark(delDir: string): FileMark | undefined {
  const path = join(resolve(delDir), RECORD_FILE);
  try {
    // Looked at before opening: opening a FIFO waits for a writer.
    if (!Deno.statSync(path).isFile) return undefined;
    using file = Deno.openSync(path, { read: true });
    return fileMark(file);
  } catch {
    return undefined; // no file yet, or none to read: the finish reads what is there then
  }
}

/**
 * Where the finish of `run` may start reading its record file: the mark its
 * start kept, as a read's end the reader goes on from while the file was only
 * appended to since (else it reads from the start). Only the bytes are
 * compared, as for the SEQ index: a pull or a checkout back that gives the
 * file a new inode but keeps its bytes is read on from the mark too. The lines
 * read on are numbered from 1 there: the note names no line.
 */
function readFrom(run: PendingRun): ReadEnd | undefined {
  const mark = startMark(run);
  return mark === undefined ? undefined : { offset: mark.size, line: 1, tail: mark.tail };
}

/**
 * The note naming every other run active in `delDir` while `run` was (from
 * its start until `endedAt`), or `undefined` when there was none: runs
 * still pending (started, not finished), and runs whose record's time span
 * overlaps this run's. Pending runs are listed before the records are read,
 * so that a run finishing meanwhile is seen in one or the other. A record is
 * appended after its run ends: one of a run active meanwhile lies past where
 * the file ended at this run's start, and only what follows is read while the
 * file was only appended to since (a checkout, a union merge that rewrote
 * lines before it, or a file begun anew, is read whole).
 *
 * @example
 * ```ts
 * import { concurrentRunsNote } from "./run_evidence.ts";
 * declare const run: import("./pending.ts").PendingRun;
 * const note = await concurrentRunsNote("DEL-01-02_X", run, Date.now());
 * ```
 */
export async function concurrentRunsNote(
  delDir: string,
  run: PendingRun,
  endedAt: number,
): Promise<string | undefined> {
  const begun = Date.parse(run.start.started);
  const others: string[] = [];
  // Runs are told apart by their ids (every record of a started run names its own): runs of one
  // agent started in the same millisecond share start and agent. A run that finished meanwhile
  // may show as pending and as a record: it is named once.
  const listed = new Set<string>([run.id]);
  for (const item of listPendingRuns(delDir)) {
    if (listed.has(item.id) || !item.run) continue;
    if (Date.parse(item.run.start.started) > endedAt) continue;
    listed.add(item.id);
    others.push(`${item.id} (${item.run.agent}, started ${item.run.start.started}, not finished)`);
  }
  const overlapping = (r: RunRecord) => {
    // An annotation changes no file of the folder: it is no run (annotate-sweep F2).
    if (r.AgentName === ANNOTATION_AGENT) return;
    if ([...r.Notes.matchAll(NAMED_RUNS)].some(([, id]) => listed.has(id))) return;
    const from = Date.parse(r.RunTimestamp);
    const to = from + (parseDuration(r.RunDuration) ?? 0);
    if (Number.isNaN(from) || to <= begun || from >= endedAt) return;
    others.push(`${r.RunID} (${r.AgentName}, ${r.RunTimestamp} for ${r.RunDuration})`);
  };
  try {
    await readRecordsOn(join(resolve(delDir), RECORD_FILE), readFrom(run), () => overlapping);
  } catch { /* no record file yet, or unreadable: the pending runs alone */ }
  if (others.length === 0) return undefined;
  return `run(s) ${names(others)} active in this folder at the same time: ` +
    "files they changed may be among this run's outputs, and this run's among theirs";
}

/**
 * Notes on what the hashes taken at start say of the run's end (`draft`,
 * the record as completed): inputs that changed (or were deleted) during the
 * run and are not among its outputs; git HEAD moved from the commit
 * checked out at start; `_STATUS.md`'s state moved with
 * `_STATUS.md` not among them; outputs the run named that are byte for byte
 * what they were at start.
 *
 * @example
 * ```ts
 * import { startEvidenceNotes } from "./run_evidence.ts";
 * declare const run: import("./pending.ts").PendingRun;
 * declare const draft: import("./append_types.ts").RecordDraft;
 * const notes = await startEvidenceNotes("DEL-01-02_X", run, draft);
 * ```
 */
export async function startEvidenceNotes(
  delDir: string,
  run: PendingRun,
  draft: RecordDraft,
): Promise<string[]> {
  // Input paths are relative to the folder's real path, as they were hashed (`governedInputs`).
  const dir = resolvedPath(resolve(delDir));
  const atStart = run.start.inputHashes;
  const outputs = draft.OutputHashes;
  const notes: string[] = [];
  // Only inputs read at start (a TBD one was not) and not named as outputs.
  const watched = Object.keys(atStart).filter((p) =>
    isSha256Hex(atStart[p]) && !Object.hasOwn(outputs, p)
  );
  const now = await hashFiles(watched.map((p) => resolve(dir, p)));
  const changed = watched.filter((p) => now.get(resolve(dir, p)) !== atStart[p]);
  // GitHead is HEAD at the end (SCHEMA.md); the inputs were hashed under HEAD at start.
  const headMoved = typeof run.gitHead === "string" && run.gitHead !== "" &&
    draft.GitHead !== run.gitHead;
  if (headMoved) {
    notes.push(
      `git HEAD moved during the run, from ${run.gitHead} (when the inputs were hashed) to ` +
        `${draft.GitHead || "none"} (GitHead): a commit, checkout, pull or rebase`,
    );
  }
  if (changed.length > 0) {
    notes.push(
      `input(s) ${names(changed)} changed or removed during the run and not named as outputs: ` +
        (headMoved
          ? "git HEAD moved meanwhile (above), or this run or another process changed them"
          : "this run changed them without naming them, or something else did (another run, " +
            "a person)"),
    );
  }
  const moved = draft.StatusBefore !== TBD && draft.StatusAfter !== TBD &&
    draft.StatusBefore !== draft.StatusAfter;
  if (moved && !Object.hasOwn(outputs, "_STATUS.md") && !changed.includes("_STATUS.md")) {
    notes.push(
      `_STATUS.md moved from ${draft.StatusBefore} to ${draft.StatusAfter} during the run and is ` +
        "not named as an output: this run changed it without naming it, or something else did",
    );
  }
  const unchanged = Object.keys(outputs).filter((p) =>
    isSha256Hex(outputs[p]) && atStart[p] === outputs[p]
  );
  if (unchanged.length > 0) {
    notes.push(
      `output(s) ${names(unchanged)} byte for byte as read at start: named as outputs, ` +
        "not changed by the run, or changed before its runrec start (the run's first action; a " +
        "run recorded only at its end is one runrec emit)",
    );
  }
  // The paths named are the agent's: marked where they would read as a machine note.
  return notes.map(agentText);
}
