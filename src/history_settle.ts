/**
 * Settling the checks a walk queued: versions read whole and compared byte
 * for byte (`append_only.ts`), merges' lines looked for in their other
 * parents, and each file's first failure recorded.
 *
 * @module
 */
import {
  addedRecordCount,
  firstMissingLine,
  type ForeignLine,
  insertedLines,
  mergeLines,
  prefixProblem,
} from "./append_only.ts";
import { readObjects, runGit } from "./git.ts";
import { CONFLICT_MARKER } from "./line_problems.ts";
import { pathArgument, shellWord } from "./shell_word.ts";
import {
  BATCH,
  type CommitInfo,
  EMPTY_BLOB,
  type HistoryFailure,
  short,
  type Track,
  type Walk,
} from "./history_shared.ts";
import {
  changedInCommitRemedy,
  droppedLine,
  fileDropped,
  firstParentDropped,
  insertedNote,
  lineEndsProblem,
  notKeptMessage,
  restartRemedy,
  restoreRemedy,
  symlinkMessage,
} from "./history_messages.ts";

const NEWLINE = 10;

/**
 * What to do about a whole record of a new RunID at `line` of `path` (from the repository's
 * top) that a merge commit placed among its parents' lines: a run recorded while the merge was
 * in progress belongs after them, where a merge may append it as any commit may.
 */
function appendedAmid(line: number, path: string): string {
  const file = pathArgument(path);
  const saved = pathArgument(`${path}.line`);
  const rest = pathArgument(`${path}.new`);
  return ": a record the merge appends belongs after its parents' lines: move that line to the " +
    "end of the file while the merge is the last commit and not pushed " +
    `(\`(cd "$(git rev-parse --show-toplevel)" && sed -n ${line}p ${file} > ${saved} && ` +
    `sed ${line}d ${file} > ${rest} && cat ${saved} >> ${rest} && mv ${rest} ${file} && ` +
    `rm ${saved} && git add ${file} && git commit --amend --no-edit)\`)`;
}

/** Why a line a merge added that holds a RunID is no record it appended, and what to do. */
function foreignRecord(because: ForeignLine["because"], line: number, path: string): string {
  if (because === "amid") return appendedAmid(line, path);
  return because === "checksum"
    ? ": it is no whole record (its RecordChecksum does not match its bytes: cut short or changed)"
    : ": another line of this version or of a parent's holds its RunID (a record changed or " +
      "repeated, not a new run's)";
}

/** How many times `byte` occurs in `bytes`. */
function byteCount(bytes: Uint8Array, byte: number): number {
  let count = 0;
  for (const b of bytes) if (b === byte) count++;
  return count;
}

/** `parent:path` for each parent of a merge but the first, at each of `paths` (the file's names). */
function otherParentVersions(commit: CommitInfo, paths: string[]): string[] {
  return commit.parents.slice(1).flatMap((parent) => paths.map((path) => `${parent}:${path}`));
}

/**
 * Decides the checks left to bytes, in each file's order: the first that
 * fails is its failure. Versions are read a batch at a time.
 *
 * @example
 * ```ts
 * import { settleChecks } from "./history_settle.ts";
 * import type { Track } from "./history_shared.ts";
 * // In a git clone; --allow-run (git). `tracks` as a walk along the log left them.
 * declare const tracks: Track[];
 * await settleChecks(tracks, { top: Deno.cwd(), exclude: [], branches: new Map() });
 * tracks.find((track) => track.failure); // the first file that broke K-APPEND-1
 * ```
 */
export async function settleChecks(tracks: Track[], walk: Walk): Promise<void> {
  let batch: Track[] = [];
  let specs = new Set<string>();
  const flush = async () => {
    const list = [...specs];
    const objects = await readObjects(list, walk.top);
    const bytes = new Map(list.map((spec, i) => [spec, objects[i]]));
    const crissCross = await crissCrossMerges(batch, bytes, walk.top);
    for (const track of batch) settleTrack(track, bytes, crissCross, walk);
    batch = [];
    specs = new Set();
  };
  for (const track of tracks) {
    if (track.checks.length === 0) continue;
    batch.push(track);
    for (const check of track.checks) {
      if (check.kind === "deleted" || check.kind === "link") {
        specs.add(check.blob);
        continue;
      }
      if (check.kind === "bytes") {
        specs.add(check.oldBlob).add(check.newBlob);
        if (check.commit.parents.length > 1) {
          for (const spec of otherParentVersions(check.commit, check.names)) specs.add(spec);
        }
      } else if (check.kind === "kept") specs.add(check.blob);
      else for (const spec of check.specs) specs.add(spec);
      // What each merged branch added to the file.
      for (const { file } of check.merged ?? []) specs.add(file.startBlob).add(file.blob);
    }
    if (specs.size >= BATCH) await flush();
  }
  if (batch.length > 0) await flush();
}

/**
 * The merge commits among `tracks`' checks whose version of a file is not the first parent's
 * with lines added after it, and whose parents have more than one merge base (a criss-cross
 * history): only there may a union merge move a line of the first parent's after another
 * (soak7 F1). Git is asked about those merges alone, few in any history.
 */
async function crissCrossMerges(
  tracks: Track[],
  bytes: Map<string, Uint8Array | undefined>,
  top: string,
): Promise<Set<string>> {
  const asked = new Map<string, boolean>();
  for (const track of tracks) {
    for (const check of track.checks) {
      if (check.kind !== "bytes" || check.commit.parents.length < 2) continue;
      if (asked.has(check.commit.id)) continue;
      const before = check.oldBlob === EMPTY_BLOB ? new Uint8Array() : bytes.get(check.oldBlob);
      const after = bytes.get(check.newBlob);
      if (before === undefined || after === undefined || !prefixProblem(before, after)) continue;
      const [first, ...others] = check.commit.parents;
      let twoBases = false;
      for (const other of others) {
        const bases = await runGit(["merge-base", "--all", first, other], top);
        const count = new TextDecoder().decode(bases.stdout).trim().split("\n").length;
        if (bases.code === 0 && count > 1) twoBases = true;
      }
      asked.set(check.commit.id, twoBases);
    }
  }
  return new Set([...asked].filter(([, twoBases]) => twoBases).map(([id]) => id));
}

function settleTrack(
  track: Track,
  bytes: Map<string, Uint8Array | undefined>,
  crissCross: ReadonlySet<string>,
  walk: Walk,
): void {
  for (const check of track.checks) {
    const failAt = (failure: Omit<HistoryFailure, "commit" | "subject">) => {
      track.failure = { commit: check.commit.id, subject: check.commit.subject, ...failure };
    };
    const at = walk.head === undefined
      ? "branch"
      : check.commit.id === walk.head
      ? "HEAD"
      : "chain";
    const mended = { id: check.commit.id, at } as const;
    if (check.kind === "link") {
      return failAt({
        previous: check.previous,
        previousPath: check.previousPath,
        line: 1,
        message: symlinkMessage(new TextDecoder().decode(bytes.get(check.blob)), "this commit"),
      });
    }
    if (check.kind === "deleted") {
      // A merged branch deleted it: its commit is named, as a branch's edit is (ci-trial F3).
      const deleter = check.merged?.find(({ file }) => file.failure?.deleted);
      if (deleter) {
        const failure = deleter.file.failure!;
        return failAt({
          previous: failure.previous,
          previousPath: failure.previousPath,
          line: 1,
          message: `merges ${short(deleter.parent)}, whose branch deleted the file: in commit ` +
            `${short(failure.commit)} ${JSON.stringify(failure.subject)}: ${failure.message}`,
          deleted: true,
          ...failure.remedy === undefined ? {} : { remedy: failure.remedy },
        });
      }
      const last = bytes.get(check.blob);
      const records = last && addedRecordCount(new Uint8Array(), last);
      // A file that held no record (a header alone) takes none with it.
      if (records === 0) continue;
      return failAt({
        previous: check.previous,
        previousPath: check.previousPath,
        line: 1,
        message: records === undefined
          ? `deletes the file, last held at ${short(check.previous)}`
          : `deletes the file, which held ${records} record${records === 1 ? "" : "s"} at ` +
            short(check.previous),
        deleted: true,
        remedy: restoreRemedy(check.previous, check.previousPath, "restore it", mended),
      });
    }
    const merged = check.merged ?? [];
    // The branch's own rewrite first: a union merge of it breaks the merge's lines too.
    const broken = merged.find(({ file }) => file.failure);
    if (broken) {
      const failure = broken.file.failure!;
      return failAt({
        previous: failure.previous,
        previousPath: failure.previousPath,
        line: failure.line,
        message: `merges ${short(broken.parent)}, whose branch did not only append: in commit ` +
          `${short(failure.commit)} ${JSON.stringify(failure.subject)}: ${failure.message}`,
      });
    }
    if (check.kind === "kept") {
      const dropped = droppedLine(bytes.get(check.blob), merged, bytes);
      if (dropped) return failAt(dropped);
      continue;
    }
    if (check.kind === "absent") {
      const version = check.specs.map((spec) => bytes.get(spec)).find((b) => b !== undefined);
      const dropped = version ? droppedLine(version, merged, bytes) : fileDropped(merged[0], bytes);
      if (dropped) return failAt(dropped);
      continue;
    }
    const fail = (line: number, message: string) =>
      failAt({ previous: check.previous, previousPath: check.previousPath, line, message });
    // A file a merge added has no earlier version: its every line is the merge's. Any other
    // version git could not give is a failure, never an empty file that everything extends.
    const before = check.oldBlob === EMPTY_BLOB ? new Uint8Array() : bytes.get(check.oldBlob);
    if (before === undefined) return fail(1, `version ${check.oldBlob.slice(0, 7)} cannot be read`);
    const after = bytes.get(check.newBlob)!;
    const problem = prefixProblem(before, after);
    if (check.commit.parents.length < 2) {
      // Whole records inserted, every earlier line kept in order: a squash merge (or a rebase) of
      // a branch that had merged this side, whose union placed its records among this side's.
      const inserted = problem && insertedLines(before, after);
      if (inserted) {
        const path = check.names[0] ?? check.previousPath;
        track.notes.push(insertedNote(`commit ${short(check.commit.id)}`, inserted, path));
        continue;
      }
      // Lines inserted above the first one changed or removed: that one is named, not them.
      const missing = problem && firstMissingLine(before, after);
      if (missing && missing.line > problem!.line) {
        return failAt({
          previous: check.previous,
          previousPath: check.previousPath,
          line: missing.line,
          message: notKeptMessage(missing),
          ...missing.runId !== undefined && missing.changedAt === undefined && {
            remedy: restoreRemedy(
              check.previous,
              check.previousPath,
              "put its lines back",
              mended,
              [missing.runId],
              check.names[0],
            ),
          },
        });
      }
      if (problem?.removed) {
        return failAt({
          previous: check.previous,
          previousPath: check.previousPath,
          line: problem.line,
          message: problem.message,
          remedy: restoreRemedy(
            check.previous,
            check.previousPath,
            "put its lines back",
            mended,
            [problem.removed],
            check.names[0],
          ),
        });
      }
      const lineEnds = problem && lineEndsProblem(before, after);
      if (lineEnds) {
        const { line, message, remedy } = lineEnds;
        return failAt({
          previous: check.previous,
          previousPath: check.previousPath,
          line,
          message,
          remedy,
        });
      }
      if (problem) {
        const remedy = problem.changed === undefined
          ? restartRemedy(before, after)
          : changedInCommitRemedy(
            check.previous,
            check.commit.id,
            check.previousPath,
            problem.line,
            problem.changed,
            check.names[0],
            at,
          );
        return failAt({
          previous: check.previous,
          previousPath: check.previousPath,
          line: problem.line,
          message: problem.message,
          ...remedy === undefined ? {} : { remedy },
        });
      }
      continue;
    }
    // The other parents' versions: at this file's names, and each merged branch's file (which
    // may be at a name the first parent renamed since, as git's merge follows it).
    const others = [
      ...otherParentVersions(check.commit, check.names).map((spec) => bytes.get(spec)),
      ...(check.merged ?? []).map(({ file }) => bytes.get(file.blob)),
    ].filter((b): b is Uint8Array => b !== undefined);
    // A file no parent holds, begun in the merge (a deliverable's first run recorded while the
    // merge was in progress): begun as by any commit.
    if (check.oldBlob === EMPTY_BLOB && others.length === 0) continue;
    const merge = mergeLines(before, after, others);
    if (!merge && problem) {
      // A first parent's line gone or changed: named, with what to do, as the other side's are.
      const dropped = firstParentDropped(before, after, check.previous, check.previousPath);
      return dropped ? fail(dropped.line, dropped.message) : fail(problem.line, problem.message);
    }
    if (!merge) {
      // A byte prefix, but the first parent's unterminated last line was continued.
      const line = byteCount(before, NEWLINE) + 1;
      return fail(line, `line ${line}, unterminated, was continued by the merge`);
    }
    if (merge.foreign) {
      const { line, runId, because } = merge.foreign;
      // A line no record: what a conflict resolved by hand leaves (its markers, or the empty
      // lines where they were), said as such, with what to do.
      const text = runId ? "" : new TextDecoder().decode(after).split("\n")[line - 1];
      const [left, how] = runId
        ? ["", ""]
        : text.trim() === ""
        ? [" (an empty line)", "a conflict resolved by hand left it"]
        : CONFLICT_MARKER.test(text)
        ? [" (a git conflict marker)", "its conflict was committed unresolved"]
        : ["", ""];
      return fail(
        line,
        `line ${line}${runId ? ` (record ${runId})` : left} is in no parent's version: ` +
          "the merge added it" +
          (left
            ? `: ${how}; keep each side's lines and no other ` +
              // Amended, only HEAD is: an older merge's lines go in a new commit (newuser-60 F3).
              (at === "HEAD"
                ? `(\`git add ${
                  shellWord(`:/${check.names[0] ?? check.previousPath}`)
                } && git commit --amend --no-edit\` before it is pushed; once pushed, remove it ` +
                  "in a new commit: a check from before that commit still fails)"
                : "(in a new commit: a check from before that commit still fails)")
            : runId
            ? foreignRecord(because, line, check.names[0] ?? check.previousPath)
            : ""),
      );
    }
    // One merge base: git's union merge keeps the first parent's lines in their order, so a
    // merge that moved one reordered records by hand (review-45 F3).
    if (merge.reordered && !crissCross.has(check.commit.id)) {
      return fail(
        problem!.line,
        `line ${problem!.line}: the merge moved lines of its first parent's version out of ` +
          "their order (records are never reordered; merge=union does so only where the " +
          "branches merged each other before)",
      );
    }
    const dropped = droppedLine(after, merged, bytes);
    if (dropped) return failAt(dropped);
    if (merge.appended > 0) {
      track.notes.push(
        `merge ${short(check.commit.id)} appended ${merge.appended} record line(s) of no ` +
          "parent's version after its parents' lines (a run recorded while the merge was in " +
          "progress); accepted",
      );
    }
    if (!problem) continue;
    track.notes.push(
      merge.reordered
        ? `merge ${short(check.commit.id)} kept every line of its parents but not in the first ` +
          "parent's order (as merge=union may in a criss-cross history); accepted"
        : `merge ${short(check.commit.id)} placed ${merge.placed} record line(s) from its other ` +
          `parent among earlier lines (merge=union); accepted`,
    );
  }
}
