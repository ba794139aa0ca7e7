/**
 * The messages and remedies of `verify --since`'s history check: a dropped
 * line or file, a symbolic link, a rename, line ends, a restart, a move,
 * and the copies a note names.
 *
 * @module
 */
import { startsWithByteOrderMark } from "./utf8_text.ts";
import type { Candidate } from "./record_candidates.ts";
import {
  addedLineMissing,
  addedRecordCount,
  firstMissingLine,
  type MissingLine,
  prefixProblem,
} from "./append_only.ts";
import { oneLine } from "./names.ts";
import { fieldWords } from "./changed_fields.ts";
import { restartInLastMinute } from "./moved_records.ts";
import { pathArgument, shellWord } from "./shell_word.ts";
import { RECORD_FILE } from "./deliverable.ts";
import {
  type BranchFile,
  EMPTY_BLOB,
  type HistoryFailure,
  short,
  type Track,
  withoutCarriageReturns,
  WORKING_TREE,
} from "./history_shared.ts";

/**
 * The note of the file `to` that `track`'s records were found in, moved
 * there in the working tree without git's rename (a plain `mv`, or a
 * retire and restart: a new file `begins` at the path it left).
 *
 * @example
 * ```ts
 * import { untoldMoveNote } from "./history_messages.ts";
 * import type { Track } from "./history_shared.ts";
 * import type { Candidate } from "./record_candidates.ts";
 * declare const track: Track, to: Candidate;
 * untoldMoveNote(track, to, [], false); // "moved from … in the working tree … checked against its history there"
 * ```
 */
export function untoldMoveNote(
  track: Track,
  to: Candidate,
  copies: string[],
  begins: boolean,
): string {
  return `moved from ${oneLine(track.path)} in the working tree` +
    `${to.told ? "" : ", not added to git"}${begins ? ", where a new file begins" : ""} ` +
    `(found by its records, not its name)${copiesNote(copies)}; checked against its history ` +
    "there";
}

/** What a note on a file followed says of the `copies` of it not followed: three named at most. */
function copiesNote(copies: string[]): string {
  // At most three named, as the note on a skipped tool root names its files.
  const shown = copies.slice(0, 3).map(oneLine);
  const more = copies.length > 3 ? ` and ${copies.length - 3} more` : "";
  return copies.length === 0
    ? ""
    : copies.length === 1
    ? `; ${shown[0]} holds its records too (a copy), not followed: name it to check it`
    : `; ${shown.join(", ")}${more} hold its records too (copies), not followed: name them to ` +
      "check them";
}

/**
 * The note of a record file first added at `path` in `commit`: new since
 * `start`, or, where a followed file was renamed away from (`before`), a new
 * file in its place.
 *
 * @example
 * ```ts
 * import { newFileNote } from "./history_messages.ts";
 * newFileNote("origin/main", "0123456789abcdef0123456789abcdef01234567", undefined, "DEL-01-02/RunRecords.csv");
 * // "not in origin/main; checked from its first version, in commit 0123456"
 * ```
 */
export function newFileNote(
  start: string,
  commit: string,
  before: Track | undefined,
  path: string,
) {
  const first = `checked from its first version, in commit ${short(commit)}`;
  const move = before?.renames.findLast((r) => r.from === path);
  if (!before || !move) return `not in ${start}; ${first}`;
  return `a new file at this path; the one it replaced was moved to ${oneLine(before.path)} in ` +
    `commit ${short(move.commit)} (followed there); ${first}`;
}

/**
 * The first line a merged branch added to a file (since it left the first
 * parent's history) that the merge's version `after` lacks, as a failure
 * against the branch's version; `undefined` when every one is kept. Lines
 * are compared as a set: a line both sides added alike is kept once.
 *
 * @example
 * ```ts
 * import { droppedLine } from "./history_messages.ts";
 * import type { BranchFile } from "./history_shared.ts";
 * declare const merged: BranchFile[], bytes: Map<string, Uint8Array | undefined>;
 * const dropped = droppedLine(new TextEncoder().encode("header\n"), merged, bytes);
 * ```
 */
export function droppedLine(
  after: Uint8Array | undefined,
  merged: BranchFile[],
  bytes: Map<string, Uint8Array | undefined>,
): Omit<HistoryFailure, "commit" | "subject"> | undefined {
  for (const { parent, file } of merged) {
    const start = file.startBlob === EMPTY_BLOB ? new Uint8Array() : bytes.get(file.startBlob);
    const end = bytes.get(file.blob);
    const unread = [[after, "the merge's"], [start, "the branch's first"], [end, "the branch's"]]
      .find(([b]) => b === undefined);
    if (unread) {
      return {
        previous: parent,
        previousPath: file.path,
        line: 1,
        message: `${unread[1]} version cannot be read, so the lines the merge kept are unknown`,
      };
    }
    const missing = addedLineMissing(start!, end!, after!);
    if (!missing) continue;
    const what = missing.runId ? `record ${missing.runId}` : `a line`;
    return {
      previous: parent,
      previousPath: file.path,
      line: missing.line,
      message: `the merge drops ${what} (line ${missing.line} of ${short(parent)}'s version), ` +
        "which the merged branch appended: redo the merge keeping its lines " +
        `(\`${RECORD_FILE} merge=union\` in .gitattributes, or copy them from \`git --no-pager show ` +
        `${shellWord(`${short(parent)}:${file.path}`)}\`); once pushed, re-add them in a new ` +
        "commit (a check from before this merge still fails)",
    };
  }
  return undefined;
}

/**
 * A merge whose version lacks a line of its first parent's (`before`), as
 * the message of its failure: a conflict resolved with the other side's
 * file (`git checkout --theirs`) or by hand; `undefined` when every line is
 * there. `previous` and `path` name the first parent's version.
 *
 * @example
 * ```ts
 * import { firstParentDropped } from "./history_messages.ts";
 * const bytes = (text: string) => new TextEncoder().encode(text);
 * const line = "v1.0,RUN-DEL-01-02-20260401-0000-001,x";
 * firstParentDropped(bytes(`h\n${line}\n`), bytes("h\n"), "0123456", "D/RunRecords.csv");
 * // { line: 2, message: "the merge drops record RUN-DEL-01-02-20260401-0000-001 (line 2 of …" }
 * ```
 */
export function firstParentDropped(
  before: Uint8Array,
  after: Uint8Array,
  previous: string,
  path: string,
): { line: number; message: string } | undefined {
  const missing = firstMissingLine(before, after);
  if (!missing) return undefined;
  const what = missing.runId ? `record ${missing.runId}` : "a line";
  const where = `line ${missing.line} of ${short(previous)}'s version, its first parent's`;
  const done = missing.changedAt === undefined
    ? `drops ${what} (${where})`
    : `changes ${what} (${where}; line ${missing.changedAt} now${
      fieldWords(missing.fields ?? [])
    })`;
  return {
    line: missing.line,
    message: `the merge ${done}: redo the merge keeping both sides' lines as they were ` +
      `(\`${RECORD_FILE} merge=union\` in .gitattributes, or copy them from \`git --no-pager show ` +
      `${shellWord(`${short(previous)}:${path}`)}\`); once pushed, re-add them in a new commit ` +
      "(a check from before this merge still fails)",
  };
}

/**
 * A merge that left out a file the merged branch changed, as the whole
 * file's failure; `undefined` when the branch added no record to it (a
 * header alone).
 *
 * @example
 * ```ts
 * import { fileDropped } from "./history_messages.ts";
 * import type { BranchFile } from "./history_shared.ts";
 * declare const merged: BranchFile, bytes: Map<string, Uint8Array | undefined>;
 * const failure = fileDropped(merged, bytes); // undefined when the branch added no record
 * ```
 */
export function fileDropped(
  { parent, file }: BranchFile,
  bytes: Map<string, Uint8Array | undefined>,
): Omit<HistoryFailure, "commit" | "subject"> | undefined {
  const created = file.startBlob === EMPTY_BLOB;
  const start = created ? new Uint8Array() : bytes.get(file.startBlob);
  const end = bytes.get(file.blob);
  const count = start && end ? addedRecordCount(start, end) : undefined;
  if (count === 0) return undefined;
  const records = count === undefined ? "records" : `${count} record${count === 1 ? "" : "s"}`;
  return {
    previous: parent,
    previousPath: file.path,
    line: 1,
    deleted: true,
    message: `the merge drops ${file.path}, ` +
      (created
        ? `which the merged branch created${count === undefined ? "" : ` (${records})`}`
        : `to which the merged branch appended ${records}`),
    remedy:
      `redo the merge keeping it (\`git checkout ${short(parent)} -- ${
        shellWord(`:/${file.path}`)
      }\` ` +
      `before committing it); once pushed, restore it in a new commit from \`git --no-pager show ` +
      `${shellWord(`${short(parent)}:${file.path}`)}\` (a check from before this merge still ` +
      "fails)",
  };
}

/**
 * What to do when a commit took records out on purpose (`git revert` of an
 * agent's commit, `git rm -r` of a folder): records are never taken out, a
 * run is undone by annotating it (SCHEMA.md 8.3). `to` is where the file
 * is now when the commit moved it from `path`: the old version is put back
 * there, never over a new file begun at `path`, followed by the lines the
 * file gained since. `commit` is the one that took them out, and where it
 * is: only HEAD is mended by amending it; an older commit of HEAD's
 * first-parent chain by an interactive rebase (keeping later merges); a
 * merged branch's only by a new commit.
 *
 * @example
 * ```ts
 * import { restoreRemedy } from "./history_messages.ts";
 * const commit = { id: "89abcdef0123456789abcdef0123456789abcdef", at: "HEAD" as const };
 * restoreRemedy("0123456789abcdef0123456789abcdef01234567", "DEL-01-02/RunRecords.csv", "restore it", commit);
 * // "a record file is only appended to: restore it in that commit (…, then `git commit --amend --allow-empty --no-edit`) …"
 * ```
 */
export function restoreRemedy(
  previous: string,
  path: string,
  restore: string,
  commit: { id: string; at: "HEAD" | "chain" | "branch" },
  runIds?: string[],
  to = path,
) {
  const folder = to.includes("/") ? to.slice(0, to.lastIndexOf("/")) : ".";
  // The old version, then the lines the file gained since (compared without CR: a work tree
  // checked out with CR LF): a checkout of the old version alone would drop every record
  // appended since, committed or not (review-z F1). Run from the repository's top, as git
  // names the paths, in a folder made again if `git rm -r` took it (review-aa F6, F7).
  const file = pathArgument(to);
  const next = pathArgument(`${to}.new`);
  const command =
    `\`(cd "$(git rev-parse --show-toplevel)" && mkdir -p ${pathArgument(folder)} && ` +
    `git show ${
      shellWord(`${short(previous)}:${path}`)
    } > ${next} && { tr -d '\\r' 2>/dev/null < ${file} ` +
    `| grep -vxFf ${next} >> ${next}; mv ${next} ${file}; } && git add ${file})\``;
  // Whatever took it out (a revert, \`git rm\`, a conflict resolved with one side, a file begun
  // anew): put back the same way. A commit that did nothing else is empty once they are back:
  // amended, it must be allowed to be (git refuses it otherwise); its message kept, as an agent
  // has no editor to confirm it in.
  const amend = "`git commit --amend --allow-empty --no-edit`";
  const id = short(commit.id);
  const mend = commit.at === "HEAD"
    ? `in that commit (${command}, then ${amend}) or, once pushed, in a new one (a check from ` +
      "before it still fails)"
    // A message given: an agent has no editor to write one in (git aborts the commit).
    : `in a new commit (${command}, then \`git commit -m "put back records"\`; a check from ` +
      `before ${id} still fails` +
      (commit.at === "branch"
        ? ")"
        : `: to mend ${id} itself, not pushed yet, mark it \`edit\` in ` +
          `\`git rebase -i --rebase-merges ${id}~\`, run the same command there, then ${amend} and ` +
          "`git rebase --continue`)");
  return `a record file is only appended to: ${restore} ${mend}; to undo ` +
    "a run, keep its record and mark it " +
    // From the repository's top, as git names the folder: verify may run in a subfolder.
    `\`runrec annotate "$(git rev-parse --show-toplevel)"/${shellWord(folder)} ` +
    `${runIds?.[0] ?? "RUN-…"} --invalidates --note "undone"\``;
}

/**
 * Why a record file that is a symbolic link to `target` in `where` fails: runrec refuses it (its
 * lines would be whatever file the link names, also one outside the repository).
 *
 * @example
 * ```ts
 * import { symlinkMessage } from "./history_messages.ts";
 * symlinkMessage("../elsewhere.csv", "commit 0123456"); // "the file is a symbolic link in commit 0123456 (to …"
 * ```
 */
export function symlinkMessage(target: string, where: string): string {
  const shown = target.length > 120 ? `${target.slice(0, 120)}…` : target;
  return `the file is a symbolic link in ${where} (to ${JSON.stringify(shown)}), which runrec ` +
    "refuses as a record file: its lines would be another file's; commit the record file itself";
}

/**
 * The note of a record file followed across a rename from `from` in `commit`.
 *
 * @example
 * ```ts
 * import { renameNote } from "./history_messages.ts";
 * renameNote("DEL-01-02_Old/RunRecords.csv", "working tree");
 * // "renamed from DEL-01-02_Old/RunRecords.csv in the working tree; checked against its history there"
 * ```
 */
export function renameNote(from: string, commit: string): string {
  const where = commit === WORKING_TREE ? "the working tree" : `commit ${short(commit)}`;
  return `renamed from ${from} in ${where}; checked against its history there`;
}

/**
 * The failure of a version `after` that differs from `before` only in its
 * line ends (CR LF and LF) or a byte-order mark taken out or put in, its
 * records unchanged, or `undefined`. Still a failure: those bytes of the
 * file are rewritten, and a merge=union with a branch holding the old ones
 * would keep both copies of every line they changed. The mark is what
 * `validate` asks to delete: the way to do so is said (newuser-49 F8).
 *
 * @example
 * ```ts
 * import { lineEndsProblem } from "./history_messages.ts";
 * const bytes = (text: string) => new TextEncoder().encode(text);
 * lineEndsProblem(bytes("a\nb\n"), bytes("a\r\nb\r\n"))?.message; // "only line ends changed (LF -> CR LF), …"
 * lineEndsProblem(bytes("\u{feff}a\n"), bytes("a\nb\n"))?.message; // "only the byte-order mark taken out, …"
 * ```
 */
export function lineEndsProblem(
  before: Uint8Array,
  after: Uint8Array,
): { line: number; message: string; remedy: string } | undefined {
  const [markBefore, markAfter] = [startsWithByteOrderMark(before), startsWithByteOrderMark(after)];
  const [textBefore, textAfter] = [
    before.subarray(markBefore ? 3 : 0),
    after.subarray(markAfter ? 3 : 0),
  ];
  const plainBefore = withoutCarriageReturns(textBefore);
  if (prefixProblem(plainBefore, withoutCarriageReturns(textAfter))) return undefined;
  const changes: string[] = [];
  if (markBefore !== markAfter) {
    changes.push(`the byte-order mark ${markBefore ? "taken out" : "put in"}`);
  }
  const endsChanged = prefixProblem(textBefore, textAfter) !== undefined;
  if (endsChanged) {
    changes.push(
      `line ends changed (${
        plainBefore.length < textBefore.length ? "CR LF -> LF" : "LF -> CR LF"
      })`,
    );
  }
  return {
    line: 1,
    message: `only ${changes.join(" and ")}, records unchanged; ` +
      `${endsChanged ? "every line" : "line 1"} is rewritten, which a merge with a branch ` +
      `holding the old ${endsChanged ? "line ends" : "one"} doubles`,
    // A mark put in is not committed as a normalisation: the writer refuses a file that has one.
    remedy: markAfter && !markBefore
      ? "delete those 3 bytes (EF BB BF), as validate says; if the mark was committed, commit " +
        "that on its own and verify --since that commit"
      : !endsChanged && markBefore
      ? "commit that on its own and verify --since that commit"
      : "commit the normalisation on its own (`git add --renormalize .`) and " +
        "verify --since that commit",
  };
}

/**
 * What to do when a record file was rewritten into `after`, which begins as a new file would
 * but reuses RunIDs of the last minute of `before`, the version it replaced: a deliverable
 * restarted in that minute, which no check can tell from those runs rewritten. `undefined`
 * otherwise.
 *
 * @example
 * ```ts
 * import { restartRemedy } from "./history_messages.ts";
 * const bytes = (text: string) => new TextEncoder().encode(text);
 * restartRemedy(bytes("a\n"), bytes("b\n")); // undefined: no record file, no RunID reused
 * ```
 */
export function restartRemedy(before: Uint8Array, after: Uint8Array): string | undefined {
  const reused = restartInLastMinute(before, after);
  return reused === undefined ? undefined : `if a new file was begun here (a deliverable ` +
    `restarted), its first run reuses RunID ${reused} of the last minute of the file it ` +
    "replaced, so it cannot be told from those runs rewritten: restart in a later minute";
}

/**
 * The remedy for a record `runId`, at `line` of `path` in commit `previous`, whose line commit
 * `commit` changed (a hand edit committed): the commands that show the change and give the line
 * as it was, from any folder of the repository. `now` is the file's path in `commit` when that
 * commit also moved it: the diff names both paths, or it would show the file deleted. `at` is
 * where `commit` is, as for restoreRemedy: only HEAD is mended by amending it, an older one by
 * a new commit.
 *
 * @example
 * ```ts
 * import { changedInCommitRemedy } from "./history_messages.ts";
 * const [a, b] = ["0123456789abcdef0123456789abcdef01234567", "89abcdef0123456789abcdef0123456789abcdef"];
 * changedInCommitRemedy(a, b, "DEL-01-02_Y/RunRecords.csv", 2, "RUN-DEL-01-02-20260101-0000-001");
 * // "record RUN-DEL-01-02-20260101-0000-001 was edited: `git --no-pager diff --no-relative 0123456 89abcde -- …` shows how; …"
 * ```
 */
export function changedInCommitRemedy(
  previous: string,
  commit: string,
  path: string,
  line: number,
  runId: string,
  now = path,
  at: "HEAD" | "chain" | "branch" = "HEAD",
): string {
  const [before, after] = [short(previous), short(commit)];
  const paths = [...new Set([path, now])].map((p) => shellWord(`:/${p}`)).join(" ");
  // Staged by name and amended with no editor: an agent has none (git fails opening one); a
  // commit that did nothing else is empty then, which git refuses unless allowed.
  const add = `git add ${shellWord(`:/${now}`)}`;
  const amend = `${add} && git commit --amend --allow-empty --no-edit`;
  // Amended, only HEAD is mended. An older commit's edit is put back in a new one, never in a
  // rebase: merge=union would keep the edited line too where a later commit's appends meet it.
  const mend = at === "HEAD"
    ? `in that commit (\`${amend}\`) or, once pushed, in a new one (a check from before it ` +
      "still fails)"
    : `in a new commit (\`${add} && git commit -m "put back records"\`; a check from before ` +
      `${after} still fails)`;
  return `record ${runId} was edited: \`git --no-pager diff --no-relative ${before} ${after} -- ${paths}\` ` +
    `shows how, and \`git show ${shellWord(`${before}:${path}`)} | sed -n ${line}p\` prints ` +
    `its line as it was: put that line back at line ${line} ${mend}; records are ` +
    "never edited: runrec annotate marks a run";
}

/**
 * The remedy for a record file changed in the working tree since `previous` (a line edited, cut
 * or taken out, by hand or by a tool): how to see the change, and that the lines go back as they
 * were, since a run is marked, never edited (newuser-49 F4).
 *
 * @example
 * ```ts
 * import { editedRemedy } from "./history_messages.ts";
 * editedRemedy("0123456789abcdef0123456789abcdef01234567", "DEL-01-02_Y/RunRecords.csv");
 * // "`git --no-pager diff --no-relative 0123456 -- DEL-01-02_Y/RunRecords.csv` shows what changed: …"
 * ```
 */
export function editedRemedy(previous: string, file: string): string {
  return `\`git --no-pager diff --no-relative ${short(previous)} -- ${
    shellWord(file)
  }\` shows what changed: put the ` +
    "lines back as they were (records are never edited or removed: runrec annotate marks a run)";
}

/**
 * The note of a version of the record file `path` (from the repository's top) that inserted
 * `count` whole record lines among its previous version's, keeping every one of those in order:
 * accepted, as records are a set ordered by their RunIDs and RunTimestamps, and an insertion
 * takes nothing away. `where` is the commit (`git merge --squash` committed, a rebase) or the
 * working tree (the squash not committed yet).
 *
 * @example
 * ```ts
 * import { insertedNote } from "./history_messages.ts";
 * insertedNote("commit 0123456", 2, "PKG-01_X/1_Working/DEL-01-02_Y/RunRecords.csv");
 * // "commit 0123456 inserted 2 line(s) among earlier lines of PKG-01_X/…/RunRecords.csv, as …"
 * ```
 */
export function insertedNote(where: string, count: number, path: string): string {
  return `${where} inserted ${count} line(s) among earlier lines of ${path}, as a squash merge ` +
    "or a rebase of a branch that had merged the other side places them; every earlier line " +
    "is kept, byte for byte and in order; accepted";
}

/**
 * The message of a line of the previous version that a commit which also inserted lines above
 * it changed or removed (`missing`, as {@linkcode firstMissingLine} finds it): that line is
 * named, not the first line inserted, which is no failure.
 *
 * @example
 * ```ts
 * import { notKeptMessage } from "./history_messages.ts";
 * notKeptMessage({ line: 4, runId: "RUN-DEL-01-02-20260101-0000-001", changedAt: 5 });
 * // "line 4: record RUN-DEL-01-02-20260101-0000-001 was changed (line 5 now)"
 * ```
 */
export function notKeptMessage(missing: MissingLine): string {
  const { line, runId, changedAt, fields = [] } = missing;
  if (runId === undefined) return `line ${line} is in no line of this version (changed or removed)`;
  return changedAt === undefined
    ? `line ${line}: record ${runId} was removed`
    : `line ${line}: record ${runId} was changed (line ${changedAt} now${fieldWords(fields)})`;
}
