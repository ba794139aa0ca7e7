/**
 * The journal of a record file: the lines this work tree appended to it in
 * the last day, in the git-ignored `.runrec/` beside it. git takes no
 * runrec lock: a `git pull` (merge, checkout, reset, stash, rebase) checks
 * that `RunRecords.csv` is as committed, then writes another file in its
 * place, and a record appended between the two is in the file git replaced.
 * The next append (or `runrec flush`) finds such a line missing from a file
 * that replaced the one it was appended to and still holds the last whole
 * record before it (or the file's first), and puts it back, byte for byte (or, when a record
 * appended since took its RunID, under a new one, noted: ./store.ts `putBackLine`). A file
 * rewritten in place, or begun anew, is not git's doing.
 *
 * A line a branch, tag or stash holds is not lost: it was carried to another
 * branch on purpose, or the file is another branch's while `git checkout`
 * runs; `git stash pop` brings back one a stash holds. Nor is a line of
 * another named branch put back (a detached `HEAD`, as in a rebase, may be
 * either's).
 *
 * @module
 */
import { basename, dirname, join, relative, resolve } from "./path.ts";
import { RECORD_FILE } from "./deliverable.ts";
import {
  autostashes,
  awaitGitsVersion,
  checkoutOf,
  git,
  gitSync,
  headCommitOf,
  leftBranchAt,
  UNKNOWN_HEAD,
  workTreeOf,
} from "./git.ts";
import { checksumMatches, decodeRecord } from "./codec.ts";
import { damagedRunsIn, isCutFrom, linesHolding, ofOneRun, runIdOfLine } from "./record_lines.ts";
import { renumberedNote } from "./record_limits.ts";
import { foreignLineProblem } from "./put_back_line.ts";
import { LINE_LIMIT_BYTES } from "./schema.ts";
import { appendDurably, inStateFolder, NotSynced } from "./state_folder.ts";
import { kindOf } from "./walk.ts";
import { isGone, resolvedPath } from "./lookups.ts";
import { failureReason } from "./errors.ts";
import { optionalEnv, optionalUptimeMs } from "./optional_access.ts";
import { hostname } from "./lock.ts";
import { ReadOn } from "./appended.ts";
import { sha256Hex } from "./sha256.ts";
import { pathArgument, shellWord } from "./shell_word.ts";
import {
  keepJournal,
  type KeptCopies,
  nearestFolder,
  type RemovedJournal,
  removedWorkTreeJournals,
} from "./kept_journals.ts";

/** How long a line is kept and checked for after its append. */
const KEPT_MS = 24 * 60 * 60 * 1000;

/** How much later than {@linkcode KEPT_MS} the oldest line may be dropped: pruned hourly. */
const PRUNE_AFTER_MS = KEPT_MS + 60 * 60 * 1000;

/**
 * A journal longer than this is cut to half of it, oldest lines first: a
 * git command drops the lines appended while it runs, never thousands.
 */
const PRUNE_BYTES = 1 << 20;

/**
 * The newest lines a cut keeps whatever their size: two records of over
 * 1 MiB appended during one pull are both kept (scale-sweep F2).
 */
const PRUNE_KEEPS = 16;

/**
 * One appended line: when, on which `HEAD` and with which last stash
 * (ms, see `checkoutOf`), into which file (its identity: {@linkcode identityOf}),
 * at which offset, after which whole record (`""`: the file's first record).
 * `file` and `stashed` are brought up to date each time the line is checked.
 */
interface Entry {
  at: number;
  /** This host's uptime (ms) at `at`, where runrec may ask: see {@linkcode ageOf}. */
  up?: number;
  /** The host whose uptime `up` is (a journal in a folder several hosts share). */
  host?: string;
  head: string;
  stashed: number;
  file: string;
  offset: number;
  previous: string;
  first: string;
  line: string;
}

/**
 * Path of the journal of `recordFile`, in the git-ignored `.runrec/` beside it.
 *
 * @example
 * ```ts
 * import { journalPath } from "./journal.ts";
 * journalPath("/p/DEL-01-02_X/RunRecords.csv"); // "/p/DEL-01-02_X/.runrec/RunRecords.csv.journal"
 * ```
 */
export function journalPath(recordFile: string): string {
  return join(dirname(recordFile), ".runrec", `${basename(recordFile)}.journal`);
}

/**
 * The record file whose journal is at `path` (absolute), or `undefined` when `path` is not where
 * {@linkcode journalPath} puts a journal.
 *
 * @example
 * ```ts
 * import { journaledRecordFile } from "./journal.ts";
 * journaledRecordFile("/p/DEL-01-02_X/.runrec/RunRecords.csv.journal"); // "/p/DEL-01-02_X/RunRecords.csv"
 * ```
 */
export function journaledRecordFile(path: string): string | undefined {
  const recordFile = join(dirname(dirname(path)), RECORD_FILE);
  return journalPath(recordFile) === path ? recordFile : undefined;
}

/**
 * What a line's journal entry keeps of the file it is appended to: the last
 * whole record before its end (`size` bytes) and the file's first record
 * (`""`: none). Read under the lock before the write: read after it, the
 * file may be the one git put in its place meanwhile, still empty, and the
 * line would never be judged dropped (race-sweep F2). `""` both when the
 * file cannot be read.
 *
 * @example
 * ```ts
 * import { lineContext } from "./journal.ts";
 * lineContext("/p/DEL-01-02_X/RunRecords.csv", 1234); // { previous: "v1.0,…", first: "v1.0,…" }
 * ```
 */
export function lineContext(recordFile: string, size: number): LineContext {
  try {
    return { previous: lineBefore(recordFile, size), first: firstRecord(recordFile, "") };
  } catch {
    return { previous: "", first: "" };
  }
}

/** See {@linkcode lineContext}. */
export interface LineContext {
  /** The last whole record before the line (`""`: none). */
  previous: string;
  /** The file's first record (`""`: none, the line is the first). */
  first: string;
}

/**
 * Notes in the journal that `line` was appended to `recordFile` at `offset`,
 * the file as {@linkcode lineContext} found it before the write; `sync`: fsynced
 * as the record was (`--no-fsync` gives both up). Returns why it could not
 * (`unnoted`: the record is written all the same, but a git command that
 * drops it is not undone), or why the note's fsync failed (`unsynced`: noted,
 * but a power cut may take the note), `undefined` when noted and synced.
 *
 * @example
 * ```ts
 * import { journalAppended, lineContext } from "./journal.ts";
 * const file = "/p/DEL-01-02_X/RunRecords.csv";
 * journalAppended(file, 1234, "v1.0,RUN-DEL-01-02-…", lineContext(file, 1234), true);
 * ```
 */
export function journalAppended(
  recordFile: string,
  offset: number,
  line: string,
  context: LineContext,
  sync: boolean,
): { unnoted: string } | { unsynced: string } | undefined {
  const path = journalPath(recordFile);
  // Its folder moved or removed under the write: the journal would make the folder again.
  if (kindOf(dirname(recordFile)) !== "folder") {
    return { unnoted: "its deliverable folder is gone" };
  }
  try {
    const entry: Entry = {
      at: Date.now(),
      up: optionalUptimeMs(),
      host: hostname(),
      ...checkoutOf(dirname(recordFile)),
      file: identityOf(recordFile),
      offset,
      ...context,
      line,
    };
    // git may have replaced the file since the line was written and checked: the identity is
    // then git's file's, which lacks the line. Noted as no file's, it is looked for next time.
    if (!lineAt(recordFile, entry)) entry.file = "";
    // So too when git replaced it after this process looked at the journal and before the write:
    // the line is in git's file, but lines git dropped were never looked for, and a note naming
    // git's file would tell the next look that none can be missing (skew-39 F2).
    if (entry.file !== checkedFiles.get(recordFile)) entry.file = "";
    // Each entry starts a line of its own: one a full disk cut short spoils no other.
    const text = `\n${JSON.stringify(entry)}`;
    // Synced as the record was: a power loss that kept the record and took its note would leave
    // a line git drops afterwards put back by nothing, and named by nothing.
    let unsynced: string | undefined;
    inStateFolder(dirname(path), () => {
      try {
        appendDurably(path, text, sync);
      } catch (e) {
        if (!(e instanceof NotSynced)) throw e;
        unsynced = failureReason(e.cause as Error); // noted: not the same advice as unnoted
      }
    });
    // A linked work tree's, kept in the common git folder too: `git worktree remove` takes the
    // work tree's `.runrec/` with it (./kept_journals.ts).
    keepJournal(recordFile, path, text, true);
    return unsynced === undefined ? undefined : { unsynced };
  } catch (e) {
    return { unnoted: failureReason(e as Error) };
  }
}

/**
 * The file (its identity) each record file's journal was last checked against in this process:
 * a line appended into a file the journal was not checked against is noted as no file's, so that
 * the next look reads the journal whole (skew-39 F2).
 */
const checkedFiles = new Map<string, string>();

/** Where a line put back was written (its offset in the file), and the line written. */
export interface PutBackLine {
  /** `undefined`: nothing written, the file holds `line`, put back before (review-39b F1). */
  offset?: number;
  line: string;
}

/**
 * Puts back the journal's lines that are missing from `recordFile`, each
 * with `append` (which writes one line at the file's end, given the lines
 * still to be put back after it, and returns where, and the line it wrote:
 * another RunID's when its own was taken meanwhile; no offset when the file
 * holds that line, put back before), and returns their RunIDs
 * (`<RunID> as <new RunID>` for such a line). Called under the append lock.
 * Most calls read the journal's first and last lines only: when the last line was
 * noted on this branch and stash, into the file at the path now, no line can
 * have been dropped since the journal was last checked. Else the record file
 * is read once for the lines not where they were appended. A failure to read
 * or rewrite the journal puts nothing back.
 *
 * @example
 * ```ts
 * import { putBackDropped } from "./journal.ts";
 * declare const appendLine: (line: string, later: readonly string[]) => PutBackLine;
 * putBackDropped("/p/DEL-01-02_X/RunRecords.csv", appendLine); // [] unless git dropped a line
 * ```
 */
export function putBackDropped(
  recordFile: string,
  append: (line: string, later: readonly string[]) => PutBackLine,
): string[] {
  const path = journalPath(recordFile);
  const looked = unsettledLines(recordFile);
  if (looked === undefined) return [];
  if (looked.settled) {
    checkedFiles.set(recordFile, looked.identity);
    return [];
  }
  const { checkout, clock, identity, entries, unsettled } = looked;
  const { now } = clock;
  const ours = (e: Entry) => onBranch(e.head, checkout.head);
  const lost = droppedLines(recordFile, looked);
  // Looked for again now that git has answered: a `git stash pop`, or a rebase's autostash when
  // it ends, writes the line back into a new file first and drops the stash after, so one held
  // when the file was read may be held no more because it is back (put back, it would be there
  // twice). Missing still, and from git's version of the file (not one it is still writing).
  // Read on, as above: a file git wrote meanwhile (another identity) is read from its start.
  const again = offsetsOf(recordFile, wantedOf(unsettled));
  const putBack: string[] = [];
  for (const [i, entry] of lost.entries()) {
    const at = again.get(entry.line);
    if (at !== undefined) entry.offset = at;
    if (at !== undefined || ![entry.previous, entry.first].some((l) => l !== "" && again.has(l))) {
      continue;
    }
    // Another runrec version's record is left in the journal, never written: this runrec's
    // post-write check would refuse it in the file (`verify` and `flush` name it).
    if (foreignLineProblem(entry.line) !== undefined) continue;
    const written = append(entry.line, lost.slice(i + 1).map((e) => e.line));
    const [was, is] = [entry.line, written.line].map((line) => line.split(",")[1]);
    entry.line = written.line; // looked for by its new RunID from now on: put back once
    if (written.offset === undefined) {
      // Put back under a new RunID by an append whose journal rewrite never came: told then.
      entry.offset = offsetsOf(recordFile, [written.line]).get(written.line) ?? entry.offset;
      continue;
    }
    entry.offset = written.offset;
    entry.at = now; // kept a day more, as a line just appended
    entry.up = clock.up;
    entry.host = clock.host;
    putBack.push(was === is ? was : `${was} as ${is}`);
  }
  const settledIn = identityOf(recordFile);
  // Replaced while it was looked at: the lines that replacement dropped were not looked for.
  checkedFiles.set(recordFile, settledIn === identity ? identity : "");
  for (const entry of entries.filter(ours)) {
    if (lineAt(recordFile, entry)) entry.file = settledIn;
    entry.stashed = checkout.stashed;
  }
  const lines = entries.map((entry) => `\n${JSON.stringify(entry)}`);
  const bytesOf = (line: string) => new TextEncoder().encode(line).length;
  for (
    let bytes = bytesOf(lines.join(""));
    bytes > PRUNE_BYTES / 2 && lines.length > PRUNE_KEEPS;
  ) {
    bytes -= bytesOf(lines.shift()!);
  }
  try {
    // None left: no file, so that `flush` of a root takes no lock where nothing is owed.
    if (lines.length === 0) Deno.removeSync(path);
    else {
      // One name, as the SEQ index's: writers hold the lock, and what a killed one left is
      // overwritten by the next.
      Deno.writeTextFileSync(`${path}.tmp`, lines.join(""));
      Deno.renameSync(`${path}.tmp`, path);
    }
    keepJournal(recordFile, path, lines.length === 0 ? undefined : lines.join(""), false);
  } catch { /* kept as it was: its lines are checked again next time */ }
  return putBack;
}

/**
 * This branch's lines of the journal that a git command took out of `recordFile` (missing from
 * git's version of it, which holds the record before them, and held by no branch, tag or stash):
 * those the next append puts back.
 */
function droppedLines(recordFile: string, looked: Looked & { settled: false }): Entry[] {
  const missing = missingLines(recordFile, looked);
  const held = heldByGit(dirname(recordFile), missing.map((e) => e.line));
  return unheldLines(recordFile, looked.checkout, missing, held);
}

/**
 * This branch's lines of the journal missing from `recordFile` when it is git's version (it holds
 * the record before them): those a git command took out, or that a branch, tag or stash holds.
 */
function missingLines(recordFile: string, looked: Looked & { settled: false }): Entry[] {
  const { unsettled } = looked;
  // Read on from where `readDroppedAhead` read before the lock, while the file was only appended to.
  const found = offsetsOf(recordFile, wantedOf(unsettled));
  for (const entry of unsettled) {
    const at = found.get(entry.line);
    if (at !== undefined) entry.offset = at;
  }
  // Missing from a file that holds a record the one it went to held before it: git's version,
  // which holds every record committed. A file begun anew (a deliverable restarted), or one
  // still being written, holds none: looked at again later.
  const missing = unsettled.filter((e) =>
    !found.has(e.line) && [e.previous, e.first].some((line) => line !== "" && found.has(line))
  );
  if (missing.length === 0) return missing;
  // Its run's line edited by hand (an editor's save, `sed -i`: a new file too) is an edit, which
  // verify names: put back, the run would be recorded twice. So too one whose RunID, agent or
  // start was edited, then the file replaced (`git stash` and `stash pop`): the line where it went.
  const damaged = damagedRunsIn(recordFile, missing.map((e) => e.line));
  return missing.filter((e) =>
    damaged.get(e.line) !== "edited" && !editedAt(recordFile, e, notedIn(looked.identity, e))
  );
}

/**
 * Of the lines `missing` from `recordFile`, those no branch, tag or stash holds (`held`: those
 * one holds, as {@linkcode heldByGit} says; `undefined`: git cannot say) and no commit made at a
 * detached HEAD since.
 */
function unheldLines(
  recordFile: string,
  checkout: { head: string; stashed: number },
  missing: readonly Entry[],
  held: ReadonlySet<string> | undefined,
): Entry[] {
  // Not lost if a branch, tag or stash holds it: moved to another branch on purpose, or the file
  // is another branch's while `git checkout` is under way. Where git cannot be asked (the
  // sandboxed build, git refusing the repository or not installed), a line is left alone on
  // another HEAD, after a stash made since, or when HEAD left this branch since: it may have
  // gone with the checkout and been committed there, and would be in a merge twice (git-config
  // F1). Such a line dropped by a forced checkout stays out: which it was, only git can say.
  const left = held === undefined && missing.length > 0
    ? leftBranchAt(dirname(recordFile), checkout.head)
    : 0;
  const unheld = missing.filter((entry) =>
    !(held === undefined
      ? entry.head !== checkout.head || entry.at < checkout.stashed || entry.at < left
      : held.has(entry.line))
  );
  // A detached HEAD's line committed there, HEAD at the append's commit again since: the commit
  // made holds it, which only HEAD's reflog names; put back, a merge of it would hold it twice.
  const detached = held === undefined ? [] : unheld.filter((e) => DETACHED.test(e.head));
  const committed = heldInReflog(dirname(recordFile), detached);
  return unheld.filter((entry) => !committed.has(entry.line));
}

/**
 * The RunIDs of the records a git command (checkout, reset, pull) took out of each of
 * `recordFiles` that its next append, or `runrec flush`, puts back (the files with none left
 * out): until then they are in no file, and a commit made meanwhile lacks them. Reads; writes
 * nothing. git is asked once for all the files of a work tree, as `putBackDropped` asks for one.
 *
 * @example
 * ```ts
 * import { awaitingPutBack } from "./journal.ts";
 * await awaitingPutBack(["/p/DEL-01-02_X/RunRecords.csv"]); // Map {} unless git dropped a record
 * ```
 */
export async function awaitingPutBack(
  recordFiles: readonly string[],
): Promise<Map<string, string[]>> {
  const candidates = recordFiles.flatMap((file) => {
    try {
      const looked = unsettledLines(file);
      if (looked === undefined || looked.settled) return [];
      const missing = missingLines(file, looked);
      return missing.length === 0 ? [] : [{ file, checkout: looked.checkout, missing }];
    } catch {
      return []; // a journal that cannot be read names nothing; the append looks again
    }
  });
  const held = await heldByGitIn(candidates.map(({ file, missing }) => ({ file, missing })));
  const awaiting = new Map<string, string[]>();
  for (const { file, checkout, missing } of candidates) {
    try {
      // A line journaled twice (appended, then put back by `flush --from`) is one record.
      const runIds = [
        ...new Set(
          unheldLines(file, checkout, missing, held.get(file))
            .filter((e) => foreignLineProblem(e.line) === undefined && !renumberedIn(file, e.line))
            .map((e) => runIdOfLine(e.line)!),
        ),
      ];
      if (runIds.length > 0) awaiting.set(file, runIds);
    } catch { /* named by nothing; the append looks again */ }
  }
  return awaiting;
}

/**
 * {@linkcode heldByGit} for the `missing` lines of each record file, those of one work tree in
 * one `git grep` (its lines read from its standard input: they may be many).
 */
async function heldByGitIn(
  files: readonly { file: string; missing: readonly Entry[] }[],
): Promise<Map<string, Set<string> | undefined>> {
  const held = new Map<string, Set<string> | undefined>();
  const byWorkTree = new Map<string, { top: string; path: string; file: string }[]>();
  for (const { file, missing } of files) {
    const tree = workTreeOf(dirname(file));
    if (tree === undefined) {
      held.set(file, heldByGit(dirname(file), missing.map((e) => e.line)));
      continue;
    }
    const path = relative(tree.top, join(resolvedPath(dirname(file)), RECORD_FILE));
    const inTree = byWorkTree.get(tree.gitDir) ?? [];
    byWorkTree.set(tree.gitDir, [...inTree, { top: tree.top, path, file }]);
  }
  // Paths compared in NFC: git on macOS (core.precomposeUnicode) names in NFC a folder the file
  // system may spell in NFD.
  const same = (a: string, b: string) => a.normalize("NFC") === b.normalize("NFC");
  const linesOf = new Map(files.map(({ file, missing }) => [file, missing.map((e) => e.line)]));
  for (const inTree of byWorkTree.values()) {
    const top = inTree[0].top;
    const lines = [...new Set(inTree.flatMap((f) => linesOf.get(f.file)!))];
    const found = await grepPaths(top, gitRevs(top), inTree.map((f) => f.path), lines);
    for (const { path, file } of inTree) {
      const wanted = new Set(linesOf.get(file));
      const holding = found?.filter((m) => same(m.path, path) && wanted.has(m.line));
      held.set(file, holding && new Set(holding.map((m) => m.line)));
    }
  }
  return held;
}

/**
 * The lines holding one of `texts` that the files at `paths` (from the work tree's top `top`) have
 * in the revisions `revs`, each with its path: one `git grep`; `undefined` when git cannot say.
 */
async function grepPaths(
  top: string,
  revs: readonly string[] | undefined,
  paths: readonly string[],
  texts: readonly string[],
): Promise<{ path: string; line: string }[] | undefined> {
  if (revs === undefined) return undefined;
  if (revs.length === 0 || texts.length === 0) return [];
  try {
    const pathspecs = paths.map((path) => `:(top,literal)${path}`); // `DEL-01-02_A[1]` is no glob
    const input = new TextEncoder().encode(`${texts.join("\n")}\n`);
    const args = ["grep", "--null", "-F", "-f", "-", ...revs, "--", ...pathspecs];
    const grep = await git(args, top, input);
    if (grep.code !== 0 && grep.code !== 1) return undefined; // 1: nothing found
    return grepOutput(grep.stdout).map(({ found, line }) => ({
      path: found.slice(found.indexOf(":") + 1), // `<rev>:<path>`
      line,
    }));
  } catch {
    return undefined;
  }
}

/**
 * The warning about the records a git command took out of a record file (its RunIDs `runIds`,
 * from {@linkcode awaitingPutBack}), the file named as `shown`.
 *
 * @example
 * ```ts
 * import { awaitingPutBackWarning } from "./journal.ts";
 * const warning = awaitingPutBackWarning("DEL-01-02_X/RunRecords.csv", ["RUN-DEL-01-02-…"]);
 * console.error(`runrec verify: warning: ${warning}`);
 * ```
 */
export function awaitingPutBackWarning(shown: string, runIds: readonly string[]): string {
  return `${shown}: ${runIds.length} record(s) a git command (checkout, reset, pull) took out of ` +
    `it wait in its journal, in no file: ${runIds.join(", ")}; the next append puts them back, ` +
    `or ${putBackCommand(shown)} now (before a commit, which would lack them)`;
}

/** The command that puts back now what git took out of `shown` (a record file's path). */
export function putBackCommand(shown: string): string {
  return `runrec flush ${pathArgument(dirname(shown))}`;
}

/**
 * Whether `recordFile` holds `line`'s record put back under a new RunID by a process killed
 * before it rewrote the journal: the next append finds it so and writes nothing
 * (./put_back_line.ts).
 */
function renumberedIn(recordFile: string, line: string): boolean {
  return [...linesHolding(recordFile, renumberedNote(runIdOfLine(line)!))].some(checksumMatches);
}

/**
 * Before the append lock: reads the record file for the lines the journal of `recordFile` would
 * look for under it (`putBackDropped`), when its last line shows some may be missing (a file git
 * wrote, a merge made from the other side), so that under the lock only what was appended since
 * is read: the whole file was read there (review-46 F1: 10.2 MB for 9.9 MB, every writer
 * waiting). What it found is kept in this process and trusted under the lock only while the file
 * keeps its identity and was only appended to (./appended.ts). Where the last line went into the
 * file at the path, the usual case, it reads no more than that line.
 *
 * @example
 * ```ts
 * import { readDroppedAhead } from "./journal.ts";
 * readDroppedAhead("/p/DEL-01-02_X/RunRecords.csv"); // reads nothing unless a file git wrote
 * ```
 */
export function readDroppedAhead(recordFile: string): void {
  try {
    if (nothingToReadAhead(recordFile)) return;
    const looked = unsettledLines(recordFile);
    if (looked !== undefined && !looked.settled) offsetsOf(recordFile, wantedOf(looked.unsettled));
  } catch { /* looked at under the lock, as before */ }
}

/**
 * Whether the read before the lock may skip the journal of `recordFile`: there is none, or its last
 * line was noted into the file at the path now, which no git command has replaced since. Two
 * looks (the file's identity, the journal's end) instead of `unsettledLines`' six, since every
 * append asks (emit-47). A HEAD or stash changed since, the file left as it was, is judged under
 * the lock alone: lines to look for then are only those git holds elsewhere, rare.
 */
function nothingToReadAhead(recordFile: string): boolean {
  const path = journalPath(recordFile);
  let size: number;
  try {
    size = Deno.statSync(path).size;
  } catch {
    return true;
  }
  const identity = identityOf(recordFile);
  return identity !== "" && lastEntry(path, size)?.file === identity;
}

/** What `putBackDropped` looks at first: none, the journal's last line settled, or its lines. */
type Looked =
  | { settled: true; identity: string }
  | {
    settled: false;
    checkout: { head: string; stashed: number };
    clock: Clock;
    identity: string;
    entries: Entry[];
    unsettled: Entry[];
  };

/**
 * The journal of `recordFile` looked at: `undefined` when the checkout cannot be told; settled
 * when it has none (nothing appended here lately), or its last line was noted on this branch
 * and stash, into the file at the path now (no line can have been dropped since the journal was
 * last checked); else its lines of the last day, and this branch's not where they went.
 */
function unsettledLines(recordFile: string): Looked | undefined {
  const path = journalPath(recordFile);
  const edges = edgeEntries(path);
  // No journal: nothing to look for, and the file looked at is the one its first line goes to
  // (noted as no file's, a line cut from it in place would wait for an append that never looks).
  if (edges === undefined) return { settled: true, identity: identityOf(recordFile) };
  const checkout = checkoutOf(dirname(recordFile));
  // Which branch is checked out cannot be told: a line may be another branch's (sandboxed-sweep F2).
  if (checkout.head === UNKNOWN_HEAD) return undefined;
  const clock: Clock = { now: Date.now(), up: optionalUptimeMs(), host: hostname() };
  const identity = identityOf(recordFile);
  const { first, last } = edges;
  if (
    first !== undefined && ageOf(first, clock) < PRUNE_AFTER_MS && edges.size <= PRUNE_BYTES &&
    last !== undefined && last.head === checkout.head &&
    last.stashed === checkout.stashed &&
    (identity === "" ? lineAt(recordFile, last) : last.file === identity)
  ) {
    return { settled: true, identity };
  }
  const entries = keptEntries(path, clock);
  if (entries === undefined) return undefined;
  // This branch's lines not where they went: in another file at the path (git's, after a pull),
  // and moved or gone. (A file rewritten in place is an edit, for `verify` to judge.)
  const unsettled = entries.filter((e) =>
    onBranch(e.head, checkout.head) && (identity === "" || identity !== e.file) &&
    !lineAt(recordFile, e)
  );
  return { settled: false, checkout, clock, identity, entries, unsettled };
}

/** The lines looked for in the record file for `unsettled`: each, the one before it, the first. */
function wantedOf(unsettled: readonly Entry[]): string[] {
  return unsettled.flatMap((e) => [e.line, e.previous, e.first]);
}

/**
 * The highest SEQ of the RunIDs starting with `prefix` (`RUN-<id>-<YYYYMMDD>-<HHmm>-`) that the
 * journal of `recordFile` names, `0n` for none. An append gives none of them again, so that a
 * line put back shares no record's RunID, even one the file lacked when its SEQ was given: a
 * record cut off in place by hand, which the journal puts back once git replaces the file
 * (race-37 F1). Telling that cut from git's drop would need the file's inode, which ext4 gives
 * git's new file again.
 *
 * @example
 * ```ts
 * import { journaledSeq } from "./journal.ts";
 * journaledSeq("/p/DEL-01-02_X/RunRecords.csv", "RUN-DEL-01-02-20260222-1015-"); // 0n
 * ```
 */
export function journaledSeq(recordFile: string, prefix: string): bigint {
  let journal: string;
  try {
    // Never a FIFO in its place (another work tree's too: opening one waits for a writer).
    if (!Deno.lstatSync(journalPath(recordFile)).isFile) return 0n;
    journal = Deno.readTextFileSync(journalPath(recordFile));
  } catch {
    return 0n;
  }
  // The whole journal (the last day's lines, about 1 MiB at most), whatever the clock did, and
  // every RunID in it, those an entry quotes too (the line before, the file's first): a SEQ taken
  // too high leaves a gap, which SEQ may have (SCHEMA 3.2); one too low would be given twice.
  let seq = 0n;
  for (let at = journal.indexOf(prefix); at >= 0; at = journal.indexOf(prefix, at + 1)) {
    SEQ_DIGITS.lastIndex = at + prefix.length;
    const digits = SEQ_DIGITS.exec(journal)?.[0];
    if (digits !== undefined && BigInt(digits) > seq) seq = BigInt(digits);
  }
  return seq;
}

/** The digits of a SEQ, read where a RunID's prefix ends. */
const SEQ_DIGITS = /[0-9]+/y;

/** The branch `journalOnlyMessage` names to keep the commit holding `lost`. */
function keepingBranch(lost: JournalOnlyLine): string {
  return `kept-${lost.runId}`;
}

/**
 * The lines the journal of `recordFile` holds (appended in the last day, by this work tree) that
 * contain `text`, each with when it was appended: what was written to the file, whether or not
 * the file holds it as read now (a git command or another program may be rewriting it: race-37 F2).
 * None when there is no journal, or it cannot be read.
 *
 * @example
 * ```ts
 * import { journaledLines } from "./journal.ts";
 * journaledLines("/p/DEL-01-02_X/RunRecords.csv", "run 20260222T101500123Z-1a2b3c4d"); // []
 * ```
 */
export function journaledLines(recordFile: string, text: string): { line: string; at: number }[] {
  const clock: Clock = { now: Date.now(), up: optionalUptimeMs(), host: hostname() };
  return (keptEntries(journalPath(recordFile), clock, text) ?? [])
    .filter((entry) => entry.line.includes(text))
    .map(({ line, at }) => ({ line, at }));
}

/**
 * The entries of the journal at `path` appended within the last day (by `clock`), of those whose
 * text holds `holding` only (a journal may hold a thousand: the rest are not parsed); `undefined`
 * when it cannot be read.
 */
function keptEntries(path: string, clock: Clock, holding = ""): Entry[] | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
  return text.split("\n").filter((entry) => entry.includes(holding)).flatMap(parseEntry)
    .filter((entry) => ageOf(entry, clock) < KEPT_MS);
}

/**
 * Where each of `lines` is in the file (the offset of its first byte; line
 * ends CR LF or LF), read from start to end, a chunk at a time; read on from
 * where this process last read it for the same lines while the file keeps its
 * identity (birth time too: git's new file often gets the inode number just
 * freed) and was only appended to (./appended.ts `ReadOn`), so that a read
 * before the append lock leaves only what was appended since to read under it.
 */
function offsetsOf(recordFile: string, lines: readonly string[]): Map<string, number> {
  const wanted = new Set(lines.filter((line) => line !== ""));
  if (wanted.size === 0) return new Map();
  // One read kept for each set of lines looked for: another set is looked for from the start.
  const key = `${recordFile}\0${
    sha256Hex(new TextEncoder().encode([...wanted].sort().join("\n")))
  }`;
  try {
    using file = Deno.openSync(recordFile, { read: true });
    const seen = wholeLineReads.readOn(key, file, (learnt, from, size) => {
      const identity = identityOfOpen(file);
      const start = learnt.identity === identity ? from : 0;
      if (start === 0) learnt.found.clear();
      learnt.identity = identity;
      const read = scanOffsets(file, start, size, wanted, learnt.found);
      learnt.last = read.last;
      return read.end;
    });
    const found = new Map(seen.found);
    // A last line without its line end, as read: not kept, since what is appended may go on with it.
    if (seen.last !== undefined && !found.has(seen.last.line)) {
      found.set(seen.last.line, seen.last.at);
    }
    return found;
  } catch {
    return new Map(); // nothing found: nothing is put back
  }
}

/** What a read of a record file for some lines found, read on by {@linkcode offsetsOf}. */
interface Offsets {
  identity: string;
  /** Where each line looked for is, of the whole lines read (those ending in a line end). */
  found: Map<string, number>;
  /** The last piece of the file, with no line end yet, when it is a line looked for. */
  last?: { line: string; at: number };
}

const wholeLineReads = new ReadOn<Offsets>(() => ({ identity: "", found: new Map() }));

/**
 * Reads the open file from `from` to `size` and notes in `found` where each of `wanted` first is,
 * of the lines that end in a line end; returns where the last of them ended, and the piece after
 * it when it is one of `wanted`.
 */
function scanOffsets(
  file: Deno.FsFile,
  from: number,
  size: number,
  wanted: ReadonlySet<string>,
  found: Map<string, number>,
): { end: number; last?: { line: string; at: number } } {
  const lineOf = (bytes: Uint8Array) => new TextDecoder().decode(bytes).replace(/\r+$/, "");
  file.seekSync(from, Deno.SeekMode.Start);
  const chunk = new Uint8Array(1 << 20);
  let carry = new Uint8Array(0);
  let carryAt = from; // the file offset of carry's first byte
  for (let read = 0; read < size - from;) {
    const n = file.readSync(chunk.subarray(0, Math.min(chunk.length, size - from - read)));
    if (n === null) break;
    read += n;
    const bytes = new Uint8Array(carry.length + n);
    bytes.set(carry);
    bytes.set(chunk.subarray(0, n), carry.length);
    let start = 0;
    for (let nl = bytes.indexOf(10); nl >= 0; nl = bytes.indexOf(10, start)) {
      const line = lineOf(bytes.subarray(start, nl));
      if (wanted.has(line) && !found.has(line)) found.set(line, carryAt + start);
      start = nl + 1;
    }
    carry = bytes.slice(start);
    carryAt += start;
  }
  const line = lineOf(carry);
  return { end: carryAt, last: wanted.has(line) ? { line, at: carryAt } : undefined };
}

/** A detached `HEAD` as the journal notes it: the commit's id. */
const DETACHED = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/**
 * Whether a line noted on `noted` may be this checkout's (`head`): not when
 * both name branches and not the same one. A detached `HEAD` (a rebase under
 * way, a submodule's update) may be either's.
 */
function onBranch(noted: string, head: string): boolean {
  return noted === head || !noted.startsWith("ref:") || !head.startsWith("ref:");
}

/** A line only the journal holds: see {@linkcode journalOnlyLines}. */
export interface JournalOnlyLine {
  /** Its record's RunID. */
  runId: string;
  /** The line as it was appended. */
  line: string;
  /** When it was appended (ms since the epoch). */
  at: number;
  /** Why the put-back does not append it, in words. */
  why: string;
  /** The commit (abbreviated) of the detached `HEAD` it was appended at, when HEAD left it. */
  commit?: string;
  /** The branch it was appended on, when that is another branch, there still, with a file. */
  branch?: string;
  /**
   * Whether `branch` has a RunRecords.csv of its own there: the run is recorded on it, and
   * `flush --from` refuses it elsewhere (where it has none, the file checked out may take it).
   */
  branchFile?: boolean;
  /**
   * The commit (abbreviated) that holds it, which no branch, tag or stash holds: only HEAD's
   * reflog names it (committed at a detached HEAD, or on a branch deleted since).
   */
  keptIn?: string;
  /**
   * Why git could not be asked whether a ref holds it (see `why`): no repository holds the folder
   * now, git failed, or this build may not start git (the sandboxed build: `verify` warns). Neither
   * lost nor recorded as far as runrec can tell, and `flush --from` does not append it.
   */
  unchecked?: "no repository" | "git failed" | "no git";
  /**
   * The journal of a linked work tree removed since that holds it, kept in the common git folder
   * (./kept_journals.ts); `undefined`: this work tree's own.
   */
  removed?: RemovedJournal;
}

/** A line only the journal holds, as `verify --json` and `flush --json` give it. */
export interface JournalOnlyJson {
  runId: string;
  /** The record file it was appended to, as named. */
  recordFile: string;
  /** When it was appended (ISO 8601). */
  appendedAt: string;
  why: string;
  /**
   * The other branch it was appended on, to check out before `command` (one with a RunRecords.csv
   * there); `null`: the file checked out.
   */
  branch: string | null;
  /** The command that appends it. */
  command: string;
}

/**
 * {@linkcode JournalOnlyJson} of a line only the journal of `recordFile` (as named) holds.
 *
 * @example
 * ```ts
 * import { journalOnlyJson, journalOnlyLines } from "./journal.ts";
 * const file = "DEL-01-02_X/RunRecords.csv";
 * console.log(JSON.stringify(journalOnlyLines(file).map((lost) => journalOnlyJson(file, lost))));
 * ```
 */
export function journalOnlyJson(recordFile: string, lost: JournalOnlyLine): JournalOnlyJson {
  return {
    runId: lost.runId,
    recordFile,
    appendedAt: new Date(lost.at).toISOString(),
    why: lost.why,
    branch: lost.branch ?? null,
    command: lost.removed?.prunable
      ? prunableRemedy(journalOf(recordFile, lost), lost)
      : lost.unchecked
      ? uncheckedRemedy(recordFile, lost.unchecked)
      : lost.keptIn !== undefined
      ? `git branch ${keepingBranch(lost)} ${lost.keptIn}`
      : lost.commit === undefined
      ? `runrec flush --from ${shellWord(journalOf(recordFile, lost))}`
      : lost.removed === undefined
      ? `git checkout ${lost.commit} && runrec flush ${pathArgument(dirname(recordFile))}`
      : `git checkout ${lost.commit} && runrec flush --from ${shellWord(lost.removed.path)}`,
  };
}

/**
 * What `verify` and `flush` say of a line only the journal of `recordFile` holds (as the user
 * named the file): the RunID, why no append puts it back, and the command that appends it.
 *
 * @example
 * ```ts
 * import { journalOnlyLines, journalOnlyMessage } from "./journal.ts";
 * const file = "DEL-01-02_X/RunRecords.csv";
 * for (const lost of journalOnlyLines(file)) console.log(journalOnlyMessage(file, lost));
 * ```
 */
export function journalOnlyMessage(recordFile: string, lost: JournalOnlyLine): string {
  const journal = journalOf(recordFile, lost);
  const only = lost.removed === undefined
    ? `this work tree's journal ${journal}`
    : `the journal the work tree ${lost.removed.workTree}, removed since, left in the common ` +
      `git folder (${journal})`;
  if (lost.removed?.prunable) {
    // Moved by hand, its own journal comes back with `git worktree repair`: appending from the
    // copy now would record the run twice then.
    return `${lost.runId} is in no file, branch, tag or stash, only in the journal of the work ` +
      `tree ${lost.removed.workTree}, whose folder is gone while git still lists it (prunable), ` +
      `kept in the common git folder (${journal}) (appended ` +
      `${new Date(lost.at).toISOString()}): ${lost.why}; ${prunableRemedy(journal, lost)}`;
  }
  if (lost.unchecked) {
    return `${lost.runId} is in ${only} (appended ${new Date(lost.at).toISOString()}) and not ` +
      `in this file, and cannot be checked: ${lost.why}; ${
        uncheckedRemedy(recordFile, lost.unchecked)
      }`;
  }
  if (lost.keptIn !== undefined) {
    // Recorded already: a put-back anywhere would record the run a second time.
    return `${lost.runId} is in no file, branch, tag or stash, only in commit ${lost.keptIn} ` +
      `and ${only} (appended ${new Date(lost.at).toISOString()}): ` +
      `${lost.why}; git branch ${keepingBranch(lost)} ${lost.keptIn} keeps it (git gc deletes ` +
      "a commit only the reflog names, in time), then merge that branch where the run belongs " +
      "(runrec flush --from would record the run a second time)";
  }
  if (lost.commit !== undefined) {
    // There the put-back of its own checkout takes it (its file holds the line before it); a
    // removed work tree's line, `flush --from` of its kept journal.
    const there = lost.removed === undefined
      ? `runrec flush ${
        pathArgument(dirname(recordFile))
      } puts it back, or names the command that does`
      : `runrec flush --from ${shellWord(journal)} appends it`;
    return `${lost.runId} is in no file, branch, tag or stash, only in ${only} ` +
      `(appended ${new Date(lost.at).toISOString()}): ${lost.why}; git checkout ` +
      `${lost.commit} first (or a branch at it: git switch -c NAME ${lost.commit}) to record ` +
      `it on that line of history: there ${there}`;
  }
  if (lost.branch !== undefined && lost.branchFile) {
    // Not into this branch's file: the run was another branch's (flush --from here refuses).
    return `${lost.runId} is in no file, branch, tag or stash, only in ${only} ` +
      `(appended ${new Date(lost.at).toISOString()}): ${lost.why}; git checkout ` +
      `${shellWord(lost.branch)} first to record it on that branch: there runrec flush --from ` +
      `${
        shellWord(journal)
      } appends it, with its RunID (or, where another record has taken it since, the next free ` +
      "one, and a note naming it)";
  }
  const foreign = foreignLineProblem(lost.line);
  if (foreign !== undefined) {
    // This runrec's `flush --from` refuses it too: only the version that wrote it puts it back.
    return `${lost.runId} is in no file, branch, tag or stash, only in ${only} ` +
      `(appended ${new Date(lost.at).toISOString()}): ${lost.why}; it is another ` +
      `runrec version's record (${foreign}): the runrec that wrote it puts it back, with ` +
      `runrec flush --from ${shellWord(journal)}`;
  }
  const there = lost.branch === undefined
    ? ""
    : ` checked out (git checkout ${shellWord(lost.branch)} first to record it on that branch)`;
  return `${lost.runId} is in no file, branch, tag or stash, only in ${only} ` +
    `(appended ${new Date(lost.at).toISOString()}): ${lost.why}; runrec flush ` +
    `--from ${
      shellWord(journal)
    } appends it, with its RunID (or, where another record has taken it since, ` +
    `the next free one, and a note naming it), to the RunRecords.csv${there}`;
}

/** What to do about a line of a work tree git lists as prunable: repair it, or prune it first. */
function prunableRemedy(journal: string, lost: JournalOnlyLine): string {
  return `moved by hand from ${
    shellWord(lost.removed!.workTree)
  }, git worktree repair NEW-FOLDER brings its journal back, and runrec flush there puts it ` +
    `back; deleted, git worktree prune first, then runrec flush --from ${
      shellWord(journal)
    } appends it`;
}

/** What to do about a line git could not be asked about. */
function uncheckedRemedy(recordFile: string, why: JournalOnlyLine["unchecked"]): string {
  if (why === "no git") {
    return `runrec verify ${pathArgument(recordFile)} (the build that runs git)`;
  }
  return optionalEnv("GIT_CEILING_DIRECTORIES") === undefined
    ? `git -C ${shellWord(dirname(recordFile))} status says why git cannot read a repository ` +
      "there; runrec verify it where git can"
    : `env -u GIT_CEILING_DIRECTORIES runrec verify ${pathArgument(recordFile)}`;
}

/** The journal holding `lost`: that of `recordFile` (as named), or a removed work tree's. */
function journalOf(recordFile: string, lost: JournalOnlyLine): string {
  return lost.removed?.path ?? journalPath(recordFile);
}

/**
 * The lines the journal of `recordFile` holds (appended in the last day, by this work tree) that
 * are lost but for it: the file at the path holds neither the line nor its record put back
 * under a new RunID (a record that only has its RunID is another's), no record file of a branch, tag or stash or of the work tree holds it at any
 * path (a deliverable copied into `_Archive/`), and the put-back will not append it, here
 * (the file holds neither the record it was appended after nor its first: a file begun anew) or
 * on the branch it was appended on (gone, or its file holds neither). A file begun on a branch
 * that lacked it, then discarded by `git checkout -f`, leaves its records so. So too the lines of
 * the journals linked work trees removed since kept for the deliverable at this path
 * (./kept_journals.ts), or for the folder git moved to this one, which no append puts back.
 * `journal`: that journal's lines only (`flush --from` of it). `copies`: the command's reading of
 * the kept journals (./kept_journals.ts `keptCopies`). Lines git cannot be asked about are named
 * `unchecked`; none where the file or a journal is not a regular file.
 *
 * @example
 * ```ts
 * import { journalOnlyLines } from "./journal.ts";
 * journalOnlyLines("/p/DEL-01-02_X/RunRecords.csv"); // [] unless a record is in the journal only
 * ```
 */
export function journalOnlyLines(
  recordFile: string,
  journal?: string,
  copies?: KeptCopies,
): JournalOnlyLine[] {
  // None here: a file begun on this branch, which lacked it, and discarded by `git checkout -f`.
  // Its lines are looked for as in an empty file, so that `flush --from` on it appends them.
  const none = isGone(recordFile);
  // Never a FIFO in either place: opening one waits for a writer.
  if (!(none || kindOf(recordFile) === "file")) return [];
  const own = journalPath(recordFile);
  const journals = [{ path: own } as { path: string; removed?: RemovedJournal }]
    .concat(
      removedWorkTreeJournals(recordFile, copies).map((removed) => ({
        path: removed.path,
        removed,
      })),
    )
    .filter((j) => journal === undefined || sameFile(j.path, journal))
    .filter((j) => kindOf(j.path) === "file");
  if (journals.length === 0) return [];
  // A folder a removed work tree's journal names may be gone here: git is asked from the nearest
  // one there, of the file at its path from there.
  const dir = nearestFolder(dirname(recordFile));
  const fileSpec = relative(dir, recordFile);
  const { head } = checkoutOf(dir);
  if (head === UNKNOWN_HEAD) return [];
  const clock: Clock = { now: Date.now(), up: optionalUptimeMs(), host: hostname() };
  // Most lines are where they were appended: one small read each, the file read no further.
  // A whole record only (its checksum matching): a journal edited by hand names no other.
  // A line journaled twice (put back by `flush --from`, then dropped again) is one record, named
  // once: by its first append's entry; this work tree's first.
  const journaled = new Set<string>();
  const removedOf = new Map<Entry, RemovedJournal>();
  const moved = journals.flatMap(({ path, removed }) =>
    (keptEntries(path, clock) ?? []).filter((e) => {
      if (journaled.has(e.line)) return false;
      journaled.add(e.line);
      if (removed !== undefined) removedOf.set(e, removed);
      return runIdOfLine(e.line) !== undefined && checksumMatches(e.line) && !lineAt(recordFile, e);
    })
  );
  if (moved.length === 0) return [];
  awaitGitsVersion(recordFile); // a file git is writing lacks lines it is yet to write
  const found = offsetsOf(recordFile, wantedOf(moved));
  // Appended in a git work tree that runrec (and git, from this folder) cannot find now: named
  // unchecked, never passed over (nor put back: no append here knows its branch).
  if (head === "") {
    const missing = moved.filter((e) =>
      e.head !== "" && !found.has(e.line) && !putBackFrom(recordFile, e.line)
    );
    return [
      ...uncheckedLines(missing, removedOf, "no repository"),
      ...cutOutsideGit(recordFile, moved.filter((e) => !found.has(e.line))),
    ];
  }
  const context = (e: Entry) => [e.previous, e.first].filter((line) => line !== "");
  // Missing from the very file it was appended to (the entry's identity: cut, zeroed or written
  // over in place since): the put-back looks only in a file that replaced that one (git's).
  const identity = none ? "" : identityOf(recordFile);
  const inPlace = (e: Entry) => notedIn(identity, e);
  // Put back by the next append here: this work tree's line of this branch, and the file is
  // git's version; but for another runrec version's record, which no append of this one writes.
  const putBackHere = (e: Entry) =>
    !removedOf.has(e) && onBranch(e.head, head) && context(e).some((line) => found.has(line)) &&
    !inPlace(e) && foreignLineProblem(e.line) === undefined;
  // A record edited in place (its run's line with other bytes, its checksum broken) is an edit,
  // which verify names as one: not a line lost, which `flush --from` would append a second time.
  // One cut short in place (the file truncated after the append) is lost: no append puts back a
  // line of the file it went to, and its whole line here restores it.
  const damaged = none ? new Map() : damagedRunsIn(recordFile, moved.map((e) => e.line));
  // But a file git wrote since, holding the line cut (committed so), is one the next append puts
  // it back into, as any line git dropped: the put-back looks in a file that replaced its own.
  const isCut = (e: Entry) => damaged.get(e.line) === "cut" && (inPlace(e) || !putBackHere(e));
  // So too one edited where it was appended, its RunID, agent or start too (by which `damaged`
  // finds a run): the line at its offset says. Not a removed work tree's: its offset is another
  // file's.
  const editedHere = (e: Entry) =>
    !none && !removedOf.has(e) && !isCut(e) && editedAt(recordFile, e, inPlace(e));
  const candidates = moved.filter((e) =>
    !found.has(e.line) && damaged.get(e.line) !== "edited" &&
    (none || !putBackFrom(recordFile, e.line)) &&
    // A detached HEAD's is not when a commit made there holds it (asked below).
    (!putBackHere(e) || isCut(e) || DETACHED.test(e.head)) && !editedHere(e)
  );
  // Most are another branch's, committed there: asked of that branch alone first, since every
  // ref of a repository of a thousand tags takes git seconds to look through.
  const onOwn = heldOnOwnBranch(dir, candidates);
  const left = candidates.filter((e) => !onOwn.has(e));
  if (left.length === 0) return [];
  const held = heldAnywhere(dir, left.map((e) => e.line));
  if (held === undefined) {
    return uncheckedLines(left, removedOf, gitRunnable() ? "git failed" : "no git");
  }
  // A file gone because HEAD's history deleted it (the deliverable removed on purpose): the lines
  // it held before are recorded there, not lost.
  const deleted = none ? heldBeforeDeletion(dir, fileSpec, left.map((e) => e.line)) : new Map();
  const unheld = left.filter((e) => !held.has(e.line) && !deleted.has(e.line));
  // A detached HEAD's line may be in a commit made there, which only HEAD's reflog names; so may
  // the line of a branch deleted since (`git branch -D`), committed on it.
  const branchGone = new Map<string, boolean>();
  const onGoneBranch = (e: Entry) =>
    e.head.startsWith("ref: refs/heads/") && e.head !== head &&
    (branchGone.get(e.head) ??
      branchGone.set(e.head, !gitHas(dir, e.head.slice(5))).get(e.head)!);
  const keptIn = heldInReflog(
    dir,
    unheld.filter((e) => DETACHED.test(e.head) || onGoneBranch(e)),
  );
  return unheld.flatMap((e): JournalOnlyLine[] => {
    const removed = removedOf.get(e);
    const commitHolding = keptIn.get(e.line);
    if (commitHolding !== undefined) {
      return [{
        runId: runIdOfLine(e.line)!,
        line: e.line,
        at: e.at,
        why: DETACHED.test(e.head)
          ? "it was committed there at a detached HEAD, which HEAD has left, and only HEAD's " +
            "reflog names that commit"
          : `it was committed on branch ${e.head.slice(16)}, deleted since, and only HEAD's ` +
            "reflog names that commit",
        keptIn: commitHolding,
        ...(removed === undefined ? {} : { removed }),
      }];
    }
    if (putBackHere(e) && !isCut(e)) return []; // the next append puts it back
    const ours = onBranch(e.head, head);
    const branch = e.head.startsWith("ref: refs/heads/") ? e.head.slice(16) : undefined;
    let why: string;
    let elsewhere: string | undefined;
    let commit: string | undefined;
    let ownFile = false;
    const foreign = foreignLineProblem(e.line);
    // The work tree it was appended in is gone, and with it the put-back of its checkout.
    const removedSince = removed === undefined ? "" : " in that work tree";
    if (isCut(e)) {
      why = CUT_SHORT;
    } else if (inPlace(e) && removed === undefined) {
      why = "the file it was appended to lacks it now, changed in place since (cut short, " +
        "zero-filled or copied over: no git command's doing, and no append puts it back)";
    } else if (
      foreign !== undefined && ours && !none && removed === undefined &&
      context(e).some((line) => found.has(line))
    ) {
      why = "no append of this runrec puts it back: it writes records of its own version only";
    } else if (ours && DETACHED.test(e.head) && e.head !== headCommitOf(dir, head)) {
      // Made at a detached HEAD that HEAD has left (a reused CI workspace, `git checkout -f`):
      // that commit's line of history is the run's, not the one checked out now. A branch at
      // that commit checked out since is the same line of history.
      commit = e.head.slice(0, 12);
      why = `it was appended${removedSince} at a detached HEAD (commit ${commit}), which HEAD ` +
        `has left since for another line of history, whose ${RECORD_FILE} lacks it, so no ` +
        "append puts it back";
    } else if (ours && removed !== undefined) {
      why = "it was appended in that work tree, and no append puts back a line of another work " +
        "tree's journal";
    } else if (ours) {
      why = none
        ? "the RunRecords.csv it was appended to is gone, and none is here now"
        : context(e).length === 0
        ? "it began a RunRecords.csv that is gone since, and the file here now was begun anew " +
          "(a file begun anew holds no record of git's, so the next append does not put it back)"
        : "the file here now holds neither the record it was appended after nor the file's " +
          "first (begun anew since: the next append does not put it back)";
    } else {
      // Another named branch's (both are, or `ours`): put back once it is checked out again, if
      // its file there is git's version, holding the record before the line or the first; but
      // for a removed work tree's line, which no append puts back.
      if (branch === undefined) return [];
      const gone = !gitHas(dir, `refs/heads/${branch}`);
      if (!gone && context(e).length > 0 && removed === undefined) {
        const there = grepHolding(dir, [`refs/heads/${branch}`], fileSpec, context(e));
        if (there === undefined || there.size > 0) return []; // cannot tell, or put back there
      }
      // Checked out, that branch is where the run was: `flush --from` puts the line into its
      // file there, or begins one where it has none.
      elsewhere = gone ? undefined : branch;
      // That branch has a file of its own now: the run is recorded there, among its lines.
      ownFile = !gone && gitHas(dir, `refs/heads/${branch}:./${fileSpec}`);
      why = `it was appended${removedSince} on branch ${branch}, ${
        gone
          ? "which is gone"
          : removed !== undefined
          ? "whose RunRecords.csv lacks it"
          : context(e).length === 0
          ? "into a RunRecords.csv that branch did not track (git checkout -f discards such a file)"
          : "whose RunRecords.csv holds neither the record it was appended after nor its first"
      }, so no append puts it back`;
    }
    return [{
      runId: runIdOfLine(e.line)!,
      line: e.line,
      at: e.at,
      why,
      branch: elsewhere,
      ...(commit === undefined ? {} : { commit }),
      ...(ownFile ? { branchFile: true } : {}),
      ...(removed === undefined ? {} : { removed }),
    }];
  });
}

/** Why a line the file it went to holds cut short is lost. */
const CUT_SHORT = "the file holds its line cut short (the file truncated since its append, in " +
  "place: no append puts it back)";

/** Why a line appended after one the file holds cut short, or past its end now, is lost. */
const CUT_OFF = "the file was truncated before it since its append, in place: no append puts it " +
  "back";

/**
 * Of the lines `missing` from the file, those appended outside git that the very file they went to
 * lost in place, and no git need be asked: held cut short, or cut off with it (appended after such
 * a line, or past the file's end now). A line edited in place is an edit, as in git.
 */
function cutOutsideGit(recordFile: string, missing: readonly Entry[]): JournalOnlyLine[] {
  const identity = identityOf(recordFile);
  const outside = missing.filter((e) =>
    e.head === "" && notedIn(identity, e) && !putBackFrom(recordFile, e.line)
  );
  if (outside.length === 0) return [];
  const damaged = damagedRunsIn(recordFile, outside.map((e) => e.line));
  const cutAt = outside.filter((e) => damaged.get(e.line) === "cut").map((e) => e.offset);
  const size = Deno.statSync(recordFile).size;
  const cutOff = (e: Entry) =>
    !damaged.has(e.line) && (size <= e.offset || cutAt.some((at) => at < e.offset));
  return outside.flatMap((e) =>
    damaged.get(e.line) === "cut" || cutOff(e)
      ? [{
        runId: runIdOfLine(e.line)!,
        line: e.line,
        at: e.at,
        why: cutOff(e) ? CUT_OFF : CUT_SHORT,
      }]
      : []
  );
}

/**
 * `entries` as lines no ref could be asked about: git finds no repository holding the folder
 * (`$GIT_CEILING_DIRECTORIES`, a `.git` moved away), failed, or may not be started; each says why.
 */
function uncheckedLines(
  entries: readonly Entry[],
  removedOf: ReadonlyMap<Entry, RemovedJournal>,
  reason: NonNullable<JournalOnlyLine["unchecked"]>,
): JournalOnlyLine[] {
  const ceiling = optionalEnv("GIT_CEILING_DIRECTORIES");
  const cause = reason === "no git"
    ? "this runrec may not start git (the sandboxed build)"
    : reason === "git failed"
    ? "git failed"
    : ceiling !== undefined
    ? `GIT_CEILING_DIRECTORIES=${ceiling} keeps git's search (and runrec's) from the ` +
      "repository it was appended in"
    : "it was appended in a git work tree, and no repository holds this folder now (its .git " +
      "moved away, or the folder copied out)";
  const unchecked = `${cause}, so no branch, tag or stash could be asked whether it holds it`;
  return entries.map((e) => {
    const removed = removedOf.get(e);
    return {
      runId: runIdOfLine(e.line)!,
      line: e.line,
      at: e.at,
      why: unchecked,
      unchecked: reason,
      ...(removed === undefined ? {} : { removed }),
    };
  });
}

/** Whether this process may start git (the sandboxed build may not: it asks no ref). */
function gitRunnable(): boolean {
  return Deno.permissions.querySync({ name: "run", command: "git" }).state === "granted";
}

/** Whether the paths `a` and `b` name one file, links resolved. */
function sameFile(a: string, b: string): boolean {
  return resolvedPath(resolve(a)) === resolvedPath(resolve(b));
}

/**
 * Whether the file holds the record of `line` put back under another RunID (./put_back_line.ts)
 * or appended again from the journal by `runrec flush --from`.
 */
function putBackFrom(recordFile: string, line: string): boolean {
  return [...linesHolding(recordFile, runIdOfLine(line)!)].some((other) => standsFor(other, line));
}

/**
 * Whether the whole record `other` is the record of the journal's `line`: the line itself, or it
 * put back or appended again (each field the same, its Notes going on, its RunID its own or, put
 * back under another, named in them). Another record of that RunID (another clone's of that
 * minute) is not.
 */
function standsFor(other: string, line: string): boolean {
  if (other === line) return true;
  if (!checksumMatches(other)) return false;
  try {
    const [was, is] = [line, other].map(decodeRecord);
    const named = is.RunID === was.RunID || is.Notes.includes(renumberedNote(was.RunID));
    const rest = (r: typeof was) => ({ ...r, RunID: "", Notes: "", RecordChecksum: "" });
    return named && is.Notes.startsWith(was.Notes) &&
      JSON.stringify(rest(is)) === JSON.stringify(rest(was));
  } catch {
    return false; // not a record of this layout
  }
}

/**
 * The entries whose record the branch they were appended on holds (a detached `HEAD`'s: none):
 * one `git grep` a branch.
 */
function heldOnOwnBranch(dir: string, entries: readonly Entry[]): Set<Entry> {
  const held = new Set<Entry>();
  const branches = new Set(entries.map((e) => e.head).filter((h) => h.startsWith("ref: refs/")));
  for (const head of branches) {
    const ours = entries.filter((e) => e.head === head);
    const runIds = ours.map((e) => runIdOfLine(e.line)!);
    const there = grepLines(dir, [head.slice(5)], `:(top,glob)**/${RECORD_FILE}`, runIds) ?? [];
    for (const e of ours) if (there.some((other) => standsFor(other, e.line))) held.add(e);
  }
  return held;
}

/**
 * The commit (abbreviated, the latest HEAD was at) holding each of `entries`' lines in a record
 * file, of the commits HEAD's reflog names since the first was appended: one made at a detached
 * HEAD and left, or on a branch deleted since, which no ref holds. Only commits made here are
 * searched: one HEAD reached by a checkout was made before or elsewhere (a reused CI workspace
 * checks out one a job, each searched whole otherwise). Empty where git cannot say.
 */
function heldInReflog(dir: string, entries: readonly Entry[]): Map<string, string> {
  const kept = new Map<string, string>();
  if (entries.length === 0) return kept;
  const since = Math.min(...entries.map((e) => e.at)) / 1000 - 1; // the reflog's are seconds
  try {
    const reflog = gitSync(dir, "log", "-g", "--date=unix", "--format=%H %gd %gs", "HEAD");
    if (!reflog.success) return kept;
    const commits = [
      ...new Set(
        new TextDecoder().decode(reflog.stdout).split("\n").flatMap((row) => {
          const [, commit, at, subject] = /^([0-9a-f]+) HEAD@\{(\d+)\} (.*)$/.exec(row) ?? [];
          const made = subject !== undefined && !subject.startsWith("checkout: ");
          return made && Number(at) >= since ? [commit] : [];
        }),
      ),
    ];
    if (commits.length === 0) return kept;
    const runIds = [...new Set(entries.map((e) => runIdOfLine(e.line)!))];
    // Each commit's matches in the order given: the latest first.
    const matches = grepMatches(dir, commits, `:(top,glob)**/${RECORD_FILE}`, runIds) ?? [];
    for (const { found, line } of matches) {
      const commit = found.slice(0, found.indexOf(":"));
      for (const e of entries) {
        if (!kept.has(e.line) && standsFor(line, e.line)) kept.set(e.line, commit.slice(0, 12));
      }
    }
  } catch { /* git not started: nothing said of a commit */ }
  return kept;
}

/**
 * The commit of HEAD's history (abbreviated) that last deleted `recordFile` (absolute), when the
 * file held `line` (or its record put back) just before it: the deliverable was removed on
 * purpose, with its records; `undefined` otherwise, or where git cannot say.
 *
 * @example
 * ```ts
 * import { deletedHolding } from "./journal.ts";
 * deletedHolding("/p/DEL-01-02_X/RunRecords.csv", "v1.0,RUN-DEL-01-02-…"); // "3f2a9c1b7d0e"
 * ```
 */
export function deletedHolding(recordFile: string, line: string): string | undefined {
  const dir = nearestFolder(dirname(recordFile));
  return heldBeforeDeletion(dir, relative(dir, recordFile), [line]).get(line);
}

/**
 * Each of `lines` (or their records put back) that the file at `fileSpec` (from `dir`) held just
 * before the last commit of HEAD's history that deleted it, with that commit (abbreviated); none
 * where no commit deleted it, or git cannot say.
 */
function heldBeforeDeletion(
  dir: string,
  fileSpec: string,
  lines: readonly string[],
): Map<string, string> {
  const held = new Map<string, string>();
  const path = `:(literal)${fileSpec}`; // a folder named `DEL-01-02_A[1]` is no glob
  try {
    const log = gitSync(dir, "log", "-1", "--format=%H", "--diff-filter=D", "HEAD", "--", path);
    const commit = new TextDecoder().decode(log.stdout).trim();
    if (!log.success || commit === "") return held;
    const runIds = [...new Set(lines.map((line) => runIdOfLine(line)!))];
    const before = grepLines(dir, [`${commit}^`], path, runIds) ?? [];
    for (const line of lines) {
      if (before.some((other) => standsFor(other, line))) held.set(line, commit.slice(0, 12));
    }
  } catch { /* git not started */ }
  return held;
}

/**
 * Whether git has `object` (a branch, a file of a branch: `<rev>:./<path>` from `dir`) in the
 * repository of `dir`, or cannot be asked (the branch's file may hold the lines).
 */
function gitHas(dir: string, object: string): boolean {
  try {
    return gitSync(dir, "rev-parse", "--verify", "--quiet", object).success;
  } catch {
    return true;
  }
}

/**
 * Which of `lines` a branch, tag, remote branch or stash (an autostash of a
 * rebase or merge under way too) of the repository holding `dir` has in its
 * `RunRecords.csv` there (one `git grep`);
 * `undefined` when git cannot say (not started: the sandboxed build).
 *
 * @example
 * ```ts
 * import { heldByGit } from "./journal.ts";
 * heldByGit("/p/DEL-01-02_X", ["v1.0,RUN-DEL-01-02-…"]); // Set {} unless a stash holds it
 * ```
 */
export function heldByGit(dir: string, lines: readonly string[]): Set<string> | undefined {
  if (lines.length === 0) return new Set();
  const revs = gitRevs(dir);
  return revs === undefined ? undefined : grepHolding(dir, revs, RECORD_FILE, lines);
}

/**
 * Which of `lines` any record file of the repository holding `dir` has, at any path: in a
 * branch, tag, remote branch or stash, or in the work tree (untracked too, not ignored). A
 * deliverable moved or copied (retired into `_Archive/`, its folder begun again) took its lines
 * along, and the journal stayed behind. `undefined` when git cannot say.
 */
function heldAnywhere(dir: string, lines: readonly string[]): Set<string> | undefined {
  const revs = gitRevs(dir);
  if (revs === undefined) return undefined;
  const anyRecordFile = `:(top,glob)**/${RECORD_FILE}`;
  // Looked for by RunID: a line appended again by `flush --from`, or put back under another
  // RunID, on another branch or at another path, is its record too (`standsFor`).
  const runIds = [...new Set(lines.map((line) => runIdOfLine(line)!))];
  const inRevs = grepLines(dir, revs, anyRecordFile, runIds);
  const inTree = grepLines(dir, ["--untracked"], anyRecordFile, runIds);
  if (inRevs === undefined || inTree === undefined) return undefined;
  // Each rev's version of a file repeats its lines: each looked at once.
  const holding = [...new Set([...inRevs, ...inTree])];
  return new Set(lines.filter((line) => holding.some((other) => standsFor(other, line))));
}

/**
 * The branches, tags, remote branches and stashes (an autostash of a rebase or merge under way
 * too) of the repository holding `dir`, as commit ids; `undefined` when git cannot say.
 */
function gitRevs(dir: string): string[] | undefined {
  const git = (...args: string[]) => gitSync(dir, ...args);
  const words = (bytes: Uint8Array) => new TextDecoder().decode(bytes).split("\n").filter(Boolean);
  try {
    const refs = git(
      "for-each-ref",
      "--format=%(objectname)",
      "refs/heads",
      "refs/remotes",
      "refs/tags",
    );
    // A stash, and its third parent: where `git stash -u` keeps the files git did not track.
    const stashes = git("stash", "list", "--format=%H %P");
    if (!refs.success || !stashes.success) return undefined;
    const stashed = words(stashes.stdout).flatMap((line) => {
      const [stash, , , untracked] = line.split(" ");
      return untracked === undefined ? [stash] : [stash, untracked];
    });
    return [...new Set([...words(refs.stdout), ...stashed, ...autostashes(dir)])];
  } catch {
    return undefined;
  }
}

/**
 * Which of `lines` the files of `pathspec` (relative to `dir`) hold, in `where` (revisions, or
 * `--untracked` for the work tree): one `git grep`, none for no revision; `undefined` when git
 * cannot say.
 */
function grepHolding(
  dir: string,
  where: readonly string[],
  pathspec: string,
  lines: readonly string[],
): Set<string> | undefined {
  // A line that holds one of `lines` is one only when it is it.
  const wanted = new Set(lines);
  const found = grepLines(dir, where, pathspec, lines);
  return found === undefined ? undefined : new Set(found.filter((line) => wanted.has(line)));
}

/**
 * The lines holding one of `texts` that the files of `pathspec` (relative to `dir`) have, in
 * `where` (revisions, or `--untracked` for the work tree): one `git grep`, none for no revision;
 * `undefined` when git cannot say.
 */
function grepLines(
  dir: string,
  where: readonly string[],
  pathspec: string,
  texts: readonly string[],
): string[] | undefined {
  return grepMatches(dir, where, pathspec, texts)?.map((match) => match.line);
}

/**
 * {@linkcode grepLines}, each line with where git found it: `<rev>:<path>`, or `<path>` in the
 * work tree.
 */
function grepMatches(
  dir: string,
  where: readonly string[],
  pathspec: string,
  texts: readonly string[],
): { found: string; line: string }[] | undefined {
  if (where.length === 0 || texts.length === 0) return [];
  try {
    const patterns = texts.flatMap((text) => ["-e", text]);
    const grep = gitSync(dir, "grep", "--null", "-F", ...patterns, ...where, "--", pathspec);
    if (!grep.success && grep.code !== 1) return undefined; // 1: nothing found
    return grepOutput(grep.stdout);
  } catch {
    return undefined;
  }
}

/** The matches `git grep --null` printed: `[<rev>:]<path>` NUL `<line>`, each line's CR dropped. */
function grepOutput(stdout: Uint8Array): { found: string; line: string }[] {
  return new TextDecoder().decode(stdout).split("\n").filter(Boolean).map((match) => ({
    found: match.slice(0, match.indexOf("\0")),
    line: match.slice(match.indexOf("\0") + 1).replace(/\r$/, ""),
  }));
}

/**
 * How far before a line its previous line (and from the file's start its first) is looked
 * for: twice the longest record, so that one of 10,000 inputs (over 1 MiB) is found too
 * (scale-sweep F1). A usual record (~1 KiB) is found in the first 4 KiB read.
 */
const PREVIOUS_BYTES = 2 * LINE_LIMIT_BYTES;

/**
 * The last whole record (its checksum matching: a torn line is passed over)
 * before `offset`; `""` when the header, or nothing, comes first.
 */
function lineBefore(recordFile: string, offset: number): string {
  // Read back from the line's start a little at a time: a record is about 1 KiB.
  for (let size = 4096;; size *= 4) {
    const start = Math.max(0, offset - size);
    const lines = new TextDecoder().decode(read(recordFile, start, offset - start)).split("\n")
      .map((line) => line.replace(/\r+$/, ""));
    // The first piece may be cut short, unless the read began at the file's start.
    for (let i = lines.length - 1; i >= (start === 0 ? 0 : 1); i--) {
      if (lines[i].startsWith("SchemaVersion,")) return "";
      if (checksumMatches(lines[i])) return lines[i];
    }
    if (start === 0 || size >= PREVIOUS_BYTES) return "";
  }
}

/**
 * The file's first whole record, unless it is `line` (`""` then, or when
 * none is found in the file's first {@linkcode PREVIOUS_BYTES}): git's version of the file holds
 * it when it was committed, as it holds the record before the line.
 */
function firstRecord(recordFile: string, line: string): string {
  // Read a little at a time, as `lineBefore` does: every append asks, and a record is ~1 KiB.
  for (let size = 4096; size < 4 * PREVIOUS_BYTES; size *= 4) {
    const bytes = read(recordFile, 0, size);
    const lines = new TextDecoder().decode(bytes).split("\n").slice(1, -1)
      .map((text) => text.replace(/\r+$/, ""));
    const first = lines.find((text) => !text.startsWith("SchemaVersion,") && checksumMatches(text));
    if (first !== undefined) return first === line ? "" : first;
    if (bytes.length < size) break; // the whole file was read
  }
  return "";
}

/** How much of the journal's start and end the usual check reads first: a few entries. */
const EDGE_BYTES = 1 << 12;

/**
 * The journal's size and its first and last entries (each `undefined` when
 * spoilt), read from its two ends, more where an entry is longer (a record
 * with long Notes); `undefined` when there is no journal.
 */
function edgeEntries(path: string): { size: number; first?: Entry; last?: Entry } | undefined {
  let size: number;
  try {
    size = Deno.statSync(path).size;
  } catch {
    return undefined;
  }
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  // Each entry starts with `\n`: the first ends where the second starts; the last ends the file.
  let first: string | undefined;
  for (let n = EDGE_BYTES; first === undefined; n *= 4) {
    const head = decode(read(path, 0, Math.min(size, n)));
    const second = head.indexOf("\n", 1);
    if (second >= 0 || n >= size) first = head.slice(1, second < 0 ? undefined : second);
  }
  return { size, first: parseEntry(first)[0], last: lastEntry(path, size) };
}

/** The last entry of the journal at `path`, `size` bytes long (`undefined` when spoilt). */
function lastEntry(path: string, size: number): Entry | undefined {
  let last: string | undefined;
  for (let n = EDGE_BYTES; last === undefined && n < 4 * size; n *= 4) {
    const start = Math.max(0, size - n);
    const tail = new TextDecoder().decode(read(path, start, size - start));
    const at = tail.lastIndexOf("\n");
    if (at >= 0) last = tail.slice(at + 1);
  }
  return parseEntry(last ?? "")[0];
}

/** Up to `length` bytes of the file at `offset`; fewer at its end or when it cannot be read. */
function read(path: string, offset: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let got = 0;
  try {
    using file = Deno.openSync(path, { read: true });
    file.seekSync(offset, Deno.SeekMode.Start);
    while (got < length) {
      const n = file.readSync(bytes.subarray(got));
      if (n === null) break;
      got += n;
    }
  } catch { /* what was read */ }
  return bytes.subarray(0, got);
}

/** An entry of the journal's text line, or none for a blank or spoilt one. */
/**
 * How long ago an entry was noted: by the wall clock, or by this host's uptime when that says
 * less, as a wall clock stepped forward since does (an NTP step, a VM restored from a snapshot:
 * clock-sweep F3). An uptime lower than the entry's is a boot since: the wall clock's age.
 */
function ageOf(entry: Entry, { now, up, host }: Clock): number {
  const wall = now - entry.at;
  if (up === undefined || entry.up === undefined || up < entry.up) return wall;
  // Another host's uptime measures nothing here (review F3).
  if (entry.host !== host) return wall;
  return Math.min(wall, up - entry.up);
}

/** The time now by the wall clock and (where runrec may ask) this host's uptime, and the host. */
interface Clock {
  now: number;
  up: number | undefined;
  host: string;
}

function parseEntry(text: string): Entry[] {
  try {
    const entry = JSON.parse(text);
    return typeof entry?.line === "string" && typeof entry.head === "string" &&
        typeof entry.file === "string" && typeof entry.previous === "string" &&
        typeof entry.first === "string" &&
        Number.isSafeInteger(entry.at) && Number.isSafeInteger(entry.offset) &&
        Number.isSafeInteger(entry.stashed)
      ? [Number.isSafeInteger(entry.up) ? entry : { ...entry, up: undefined }]
      : [];
  } catch {
    return [];
  }
}

/**
 * Whether the file holds, where the entry's line was appended, that line edited by hand (its
 * RunID, agent or start too, which `damagedRunsIn` looks for it by): a line that starts there,
 * holds no zero byte and is no prefix of it, whose checksum no longer matches, or, in the file
 * it was appended to (`sameFile`), that is of its run (its checksum made again: in another file,
 * another clone's record of that run). Another run's whole record there (appended after a cut),
 * zeros or the file's end is the line lost, which `flush --from` puts back; an edit it would
 * record twice.
 */
function editedAt(recordFile: string, entry: Entry, sameFile: boolean): boolean {
  if (entry.offset > 0 && read(recordFile, entry.offset - 1, 1)[0] !== 10) return false;
  const length = 2 * new TextEncoder().encode(entry.line).length + 4096; // an edit may lengthen it
  const bytes = read(recordFile, entry.offset, length);
  const end = bytes.indexOf(10);
  const text = new TextDecoder().decode(bytes.subarray(0, end < 0 ? bytes.length : end))
    .replace(/\r$/, "");
  return text !== "" && !text.includes("\0") && !isCutFrom(text, entry.line) &&
    (!checksumMatches(text) || (sameFile && ofOneRun(text, entry.line)));
}

/** Whether the entry's line is where it was appended: the usual case, one small read. */
function lineAt(recordFile: string, entry: Entry): boolean {
  const expected = new TextEncoder().encode(`${entry.line}\n`);
  const found = read(recordFile, entry.offset, expected.length);
  return found.length === expected.length && found.every((byte, i) => byte === expected[i]);
}

/**
 * The file's device, inode and birth time (git's new file often gets the
 * inode number just freed), `""` when it is gone or the platform lacks one.
 */
function identityOf(recordFile: string): string {
  try {
    return identityIn(Deno.statSync(recordFile));
  } catch {
    return "";
  }
}

/** {@linkcode identityOf} of an open file. */
function identityOfOpen(file: Deno.FsFile): string {
  return identityIn(file.statSync());
}

/** Whether the file of `identity` ({@linkcode identityOf}) is the one the entry's line went to. */
function notedIn(identity: string, entry: Entry): boolean {
  return identity !== "" && entry.file === identity;
}

/** The identity {@linkcode identityOf} names, of a file's stat. */
function identityIn({ dev, ino, birthtime }: Deno.FileInfo): string {
  return ino === null || birthtime === null ? "" : `${dev}:${ino}:${birthtime.getTime()}`;
}
