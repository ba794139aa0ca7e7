/**
 * `runrec verify`: integrity of record files (header, every line's checksum,
 * duplicate RunIDs) and, with `--since`, K-APPEND-1 against git history.
 *
 * @module
 */
import { LINKED_RECORD_FILE } from "../linked_record_file.ts";
import { readFailure } from "../errors.ts";
import { deliverableId } from "../deliverable.ts";
import { git, GitUnavailableError, type StoredAs, storedAs } from "../git.ts";
import { dirname, resolve } from "../path.ts";
import { oneLine } from "../names.ts";
import { DELIVERABLE_ID_SYNTAX } from "../schema.ts";
import { runIdOfLine } from "../record_lines.ts";
import {
  awaitingPutBack,
  awaitingPutBackWarning,
  type JournalOnlyJson,
  journalOnlyJson,
  journalOnlyLines,
  journalOnlyMessage,
  putBackCommand,
} from "../journal.ts";
import { describePending, pendingRecords } from "../spool_pending.ts";
import { type PendingItem, pendingRunsByFolder } from "../pending.ts";
import { foldersWithPendingRuns } from "../pending_folders.ts";
import { pendingRunWarnings, removedWorkTreeRunWarnings } from "../pending_warnings.ts";
import { recordedThere, removedWorkTreeRuns, startedIn } from "../kept_runs.ts";
import { collidedRunIds } from "../reader.ts";
import { sharedIdProblems } from "../claimed_ids.ts";
import { isThere } from "../lookups.ts";
import { kindOf } from "../walk.ts";
import { goneJournaledRecordFiles } from "../gone_record_files.ts";
import { type KeptCopies, keptCopies } from "../kept_journals.ts";
import { pathArgument, shellWord } from "../shell_word.ts";
import { looksLikeRevision } from "./revision_word.ts";
import {
  noteSkippedToolRoot,
  type RecordTarget,
  refuseOtherFiles,
  refuseSlipInside,
  resolveTargets,
} from "../targets.ts";
import { type IntegrityProblem, type IntegrityResult, verifyRecordFile } from "../verify_file.ts";
import { type HistoryResult, verifyHistories } from "../verify_history.ts";
import {
  type Command,
  EXIT,
  type Io,
  type Parsed,
  positionals,
  stringOption,
  UsageError,
} from "./command.ts";
import { jsonText } from "../json_text.ts";
import { BufferedOut, paint, plural, problemLine, RepeatedWarnings } from "./format.ts";

const HELP = `runrec verify: check the integrity of record files, and that they only grew

Usage: runrec verify <file|del-dir|root>... [--since GIT-REV] [--json]

Targets as for validate. For each record file: the header, every line's
RecordChecksum, every record valid, no RunID naming two records, no
DeliverableID in two folders of one execution root, and no record this work
tree appended in the last day that only its journal holds (each named with
the command that appends it). With --since GIT-REV, also K-APPEND-1: since that
revision the file only grew (each version a byte-for-byte prefix of the next,
or every line kept in order and whole records inserted, as a squash merge does,
noted; at a merge, every line a line of a parent); it runs git.

Options:
  --since GIT-REV  also check that the file only grew since this revision
  --json           print one JSON document: {since, notes, files: [...], records,
                   errors, warnings, duplicates, unreadable, gone, spooled,
                   pendingRuns, journalOnly, takenOut, ok}
  -h, --help       show this help

Exit codes: 0 intact; 1 a check failed (corrupt line, bad header, invalid
record, duplicate RunID, one DeliverableID in two folders, a record in the
journal only, history rewritten, record file gone); 2 usage error, missing
target, unreadable file, a file named that is not a record file, unknown
GIT-REV, not in a git work tree, a shallow clone lacking the history, a
repository git refuses, git not runnable.

Example:
  runrec verify PKG-01_Alpha/1_Working/DEL-01-02_Spec
  runrec verify . --since origin/main --json

Each check, the --json keys, renames and merges: docs/COMMANDS.md, "runrec
verify"; the rules in full: docs/CI.md, "What the recipe runs".`;

function historyJson(history: HistoryResult | undefined) {
  if (!history) return null;
  return {
    since: history.since,
    sinceCommit: history.sinceCommit,
    base: history.base,
    gitPath: history.gitPath,
    pathAtSince: history.pathAtSince,
    renames: history.renames,
    existedAtSince: history.existedAtSince,
    commits: history.commits,
    versionsCompared: history.versionsCompared,
    ok: history.failure === undefined,
    failure: history.failure ?? null,
    notes: history.notes,
  };
}

/**
 * The lines `verify` prints of a file's history: its notes, then its
 * verdict (none with `notesOnly`, for a history git's storage of the file
 * leaves unchecked). `path` is printed as it is: one line already.
 */
function historyText(
  path: string,
  history: HistoryResult,
  color: boolean,
  notesOnly = false,
): string {
  const lines = history.notes.map((note) => `${path}: note: ${oneLine(note)}\n`);
  if (notesOnly) return lines.join("");
  const failure = history.failure;
  if (failure) {
    const where = failure.commit === "working tree"
      ? "the working tree"
      : `commit ${failure.commit.slice(0, 7)} ${jsonText(failure.subject)}`;
    const against = failure.previousPath === history.gitPath
      ? "the version"
      : `the version of ${failure.previousPath}`;
    lines.push(
      `${path}:${failure.line}: ${paint("K-APPEND-1 broken", "red", color)} in ${where}: ` +
        oneLine(
          `${failure.message}, against ${against} in ${failure.previous.slice(0, 7)}` +
            `${failure.remedy ? `; ${failure.remedy}` : ""}`,
        ) + "\n",
    );
  } else if (history.sinceCommit === "") {
    // A nested repository `since` is not in: checked from the file's first version (a note said so).
    lines.push(
      `${path}: K-APPEND-1 holds from its first version (not in ${history.since}'s repository): ` +
        `${plural(history.versionsCompared, "version")} compared\n`,
    );
  } else {
    lines.push(
      `${path}: K-APPEND-1 holds since ${history.since} (${history.sinceCommit.slice(0, 7)}` +
        (history.base && history.base !== history.sinceCommit
          ? `; checked from ${history.base.slice(0, 7)}`
          : "") +
        `): ${plural(history.versionsCompared, "version")} compared\n`,
    );
  }
  return lines.join("");
}

/** The DeliverableID of a record file's folder, when it is a deliverable folder. */
function recordFileDeliverableId(recordFile: string): string | undefined {
  try {
    const { id } = deliverableId(dirname(resolve(recordFile)));
    return DELIVERABLE_ID_SYNTAX.test(id) ? id : undefined;
  } catch {
    return undefined; // not a deliverable folder: any file may be verified
  }
}

/** RunIDs that name two different records in the file `path` of commit `commit`. */
async function collidedRunIdsAt(top: string, commit: string, path: string): Promise<Set<string>> {
  const { code, stdout } = await git(["cat-file", "blob", `${commit}:${path}`], top);
  if (code !== 0) return new Set();
  const records = new TextDecoder().decode(stdout).split("\n").flatMap((line) => {
    const RunID = runIdOfLine(line);
    const RecordChecksum = line.slice(line.lastIndexOf(",") + 1).trimEnd();
    return RunID === undefined ? [] : [{ RunID, RecordChecksum }];
  });
  return new Set(collidedRunIds(records));
}

const SANDBOXED_GIT = "this runrec has no permission to run programs (sandboxed build), so it " +
  "cannot run git; use the runrec command (not runrec-sandboxed) for this";

/** The line `.gitattributes` needs last so that git stores record files as runrec wrote them. */
const ATTRIBUTES_LINE = "RunRecords.csv merge=union eol=lf -filter -working-tree-encoding -ident";

/**
 * How git stores each record file, where that keeps its records from being
 * checked (ignored, a filter, an encoding): one pair of git calls per
 * target. Nothing when git cannot run (the sandboxed build) or answer.
 */
async function gitStorage(files: RecordTarget[]): Promise<Map<string, StoredAs>> {
  const byTarget = new Map<string, string[]>();
  for (const file of files) {
    if (!file.exists || file.unreadable !== undefined) continue;
    byTarget.set(file.target, [...byTarget.get(file.target) ?? [], resolve(file.path)]);
  }
  const found = new Map<string, StoredAs>();
  for (const [target, paths] of byTarget) {
    const folder = resolve(target);
    const cwd = await Deno.stat(folder).then((s) => s.isDirectory, () => false)
      ? folder
      : dirname(folder);
    const answer = await storedAs(paths, cwd).catch(() => new Map<string, StoredAs>());
    for (const [path, how] of answer) {
      // `ident` changes only a file that holds `$Id`: one without it is runrec's bytes.
      if (how.ident && !(await holdsIdent(path))) delete how.ident;
      if (Object.keys(how).length > 0) found.set(path, how);
    }
  }
  return found;
}

/** Whether the file at `path` holds `$Id` (`$Id$`, or as git's `ident` expands it). */
async function holdsIdent(path: string): Promise<boolean> {
  const bytes = await Deno.readFile(path).catch(() => new Uint8Array());
  return new TextDecoder("latin1").decode(bytes).includes("$Id");
}

/**
 * An error for each record appended to `path` in the last day that only its journal holds
 * (SCHEMA.md 7.1): no file, branch, tag or stash has it, and no append puts it back; a warning
 * for each line this build may not start git to check (the sandboxed build's).
 */
function journalOnlyProblems(
  path: string,
  found: JournalOnlyJson[],
  copies: KeptCopies,
): IntegrityProblem[] {
  const lines = journalOnlyLines(resolve(path), undefined, copies);
  found.push(...lines.map((lost) => journalOnlyJson(path, lost)));
  return lines.map((lost) => ({
    line: 0,
    severity: lost.unchecked === "no git" ? "warning" : "error",
    check: "journal",
    field: "",
    message: journalOnlyMessage(path, lost),
  }));
}

/**
 * What keeps a record file's records from being checked, as one problem:
 * git ignores it (its records are in this clone only: an error with
 * --since, which finds no history), or stores other bytes than runrec wrote
 * (a filter, an encoding: an error with --since, and for an encoding also
 * without, whose work-tree file is not runrec's bytes); `undefined` if none.
 */
function storageProblem(how: StoredAs | undefined, since: boolean): IntegrityProblem | undefined {
  const problem = (severity: "error" | "warning", message: string): IntegrityProblem => ({
    line: 1,
    severity,
    check: "git",
    field: "",
    message,
  });
  if (how?.ignoredBy) {
    return problem(
      since ? "error" : "warning",
      `git ignores this file (${how.ignoredBy}): its records are never committed and exist ` +
        `only in this clone${since ? ", so --since has no history to check" : ""}; add ` +
        "`!RunRecords.csv` to .gitignore after that line, then commit the file",
    );
  }
  const through = how?.encoding
    ? `working-tree-encoding ${how.encoding}`
    : how?.filter
    ? `filter \`${how.filter}\``
    : how?.ident
    ? "the ident attribute, which expands `$Id$` in it on checkout"
    : undefined;
  // An encoding or `ident` changes the file here too: wrong without --since as well.
  const here = how?.encoding !== undefined || how?.ident === true;
  if (!through || !since && !here) return undefined;
  return problem(
    "error",
    `git stores this file through ${through} (.gitattributes), so ` +
      (here ? "the file here and " : "") +
      "its committed versions are not the bytes runrec wrote and cannot be checked; add " +
      `\`${ATTRIBUTES_LINE}\` as the last line of .gitattributes`,
  );
}

async function run(parsed: Parsed, io: Io): Promise<number> {
  const targets = positionals(parsed, ["file|del-dir|root"], "targets");
  const since = stringOption(parsed, "since");
  if (since === "") throw new UsageError("--since needs a git revision");
  // `verify main`, `verify . main`: the revision given without its --since. A word under a
  // folder that is there (`examples/DEL-99`) is a path mistyped, not `origin/main`.
  const revision = since === undefined
    ? targets.find((t) => !isThere(t) && !isThere(t.split("/")[0]) && looksLikeRevision(t))
    : undefined;
  if (revision !== undefined) {
    const rest = targets.filter((t) => t !== revision);
    const paths = (rest.length > 0 ? rest : ["."]).map((p) => pathArgument(p));
    const shown = [...paths, "--since", shellWord(revision)];
    throw new UsageError(
      `${revision}: no such file or folder; a git revision goes after --since ` +
        `(runrec verify ${shown.join(" ")})`,
    );
  }
  const json = parsed.values.json === true;
  // The tool roots skipped are named once the history is checked: a file moved into one is
  // followed there, and read.
  const toolRoots: [string, string[]][] = [];
  const files = await resolveTargets(targets, {
    keepUnreadable: true,
    skippedToolRoot: (folder, held) => toolRoots.push([folder, held]),
    historyToo: since !== undefined,
  });
  // A record file with a damaged header is checked line by line: what this command is for.
  await refuseOtherFiles(files, { keepDamaged: true });

  // History first: an unknown revision, a shallow clone or a git that cannot run ends the
  // command (exit 2) before anything is printed.
  let histories = new Map<string, HistoryResult>();
  // Record files the starting commit has and the work tree lacks: deleted, records and all
  // (renamed ones are followed by their history).
  let gone: string[] = [];
  // Record files a target held that were moved where its walk does not look: checked there.
  let moved: string[] = [];
  let rangeNotes: string[] = [];
  if (since !== undefined) {
    try {
      ({ histories, gone, moved, notes: rangeNotes } = await verifyHistories(
        targets,
        // A linked record file is not read, but its history is checked (as a link, never
        // through it): it is there, not deleted.
        files.filter((f) => f.exists && (f.unreadable ?? LINKED_RECORD_FILE) === LINKED_RECORD_FILE)
          .map((f) => f.path),
        since,
        { unlisted: files.filter((f) => f.unlisted).map((f) => f.path) },
      ));
    } catch (e) {
      if (e instanceof GitUnavailableError) {
        // No --allow-run here is the sandboxed build: its user switches command, not flags.
        const denied = e.cause instanceof Deno.errors.NotCapable ||
          e.cause instanceof Deno.errors.PermissionDenied;
        throw new GitUnavailableError(`--since: ${denied ? SANDBOXED_GIT : e.message}`);
      }
      throw e;
    }
  }

  for (const path of moved) files.push({ path, target: path, exists: true });
  // Beneath a folder named, record files a checkout took (or at a removed work tree's path) whose
  // journal stays: named only for a record no file, branch or stash holds.
  const listed = new Set(files.map((f) => resolve(f.path)));
  const journaledOnly = new Set<string>();
  // Removed work trees' kept journals, read once for this command (not once per file).
  const copies = keptCopies();
  for (const target of targets.filter((t) => kindOf(t) === "folder")) {
    for (const path of goneJournaledRecordFiles(target, copies)) {
      if (listed.has(resolve(path))) continue;
      listed.add(resolve(path));
      journaledOnly.add(path);
      files.push({ path, target, exists: false });
    }
  }
  const followed = new Set(moved.map((path) => resolve(path)));
  for (const [folder, held] of toolRoots) {
    const unread = held.filter((path) => !followed.has(resolve(path)));
    noteSkippedToolRoot(folder, unread, held.length - unread.length);
  }
  const storage = await gitStorage(files);
  // Two folders claiming one DeliverableID give their runs the same RunIDs: errors of both.
  const shared = await sharedIdProblems(files);
  const out = new BufferedOut(io);
  let failed = false;
  let unreadable = 0;
  const totals = { records: 0, errors: 0, warnings: 0, duplicates: 0 };
  const inJournal: JournalOnlyJson[] = [];
  let firstFile = true;
  if (json) {
    out.write(`{\n  "since": ${jsonText(since ?? null)},\n`);
    out.write(`  "notes": ${jsonText(rangeNotes)},\n  "files": [`);
  } else for (const note of rangeNotes) out.write(`runrec verify: note: ${oneLine(note)}\n`);
  for (const file of files) {
    const history = histories.get(file.path);
    if (!file.exists) {
      // A file begun on this branch, which lacked it, and discarded by `git checkout -f` leaves
      // its records in the journal only: named, as in a file that is there.
      const lost = journalOnlyProblems(file.path, inJournal, copies);
      if (lost.length === 0 && journaledOnly.has(file.path)) continue;
      const errors = lost.filter((p) => p.severity === "error").length;
      if (errors > 0) failed = true;
      totals.errors += errors;
      totals.warnings += lost.length - errors;
      if (json) {
        out.write(`${firstFile ? "" : ","}\n    ${
          jsonText({
            path: file.path,
            exists: false,
            problems: lost,
            records: 0,
            errors,
            warnings: lost.length - errors,
            duplicates: 0,
            history: null,
            ok: errors === 0,
          })
        }`);
      } else if (lost.length === 0) {
        out.write(`${oneLine(file.path)}: no records yet (no RunRecords.csv)\n`);
      } else {
        const shown = oneLine(file.path);
        for (const p of lost) {
          out.write(problemLine(shown, p.line, p.severity, p.message, io.color));
        }
        const warnings = lost.length - errors;
        out.write(
          errors === 0
            ? `${shown}: no records yet (no RunRecords.csv), ${plural(warnings, "warning")}\n`
            : `${shown}: ${paint("FAILED", "red", io.color)}: no RunRecords.csv, ` +
              `${plural(errors, "error")}${
                warnings > 0 ? `, ${plural(warnings, "warning")}` : ""
              }\n`,
        );
      }
      firstFile = false;
      continue;
    }
    let firstProblem = true;
    if (json) {
      out.write(`${firstFile ? "" : ","}\n    {\n      "path": ${jsonText(file.path)},\n`);
      out.write(`      "exists": true,\n      "problems": [`);
    }
    firstFile = false;
    const repeats = new RepeatedWarnings();
    const onProblem = (p: IntegrityProblem) => {
      if (json) {
        out.write(`${firstProblem ? "" : ","}\n        ${jsonText(p)}`);
        firstProblem = false;
      } else if (repeats.isShown(p.severity, p.message)) {
        out.write(problemLine(oneLine(file.path), p.line, p.severity, p.message, io.color));
      }
    };
    let result: IntegrityResult = { records: 0, errors: 0, warnings: 0, duplicates: 0 };
    let readError = file.unreadable;
    const how = storage.get(resolve(file.path));
    const stored = storageProblem(how, since !== undefined);
    try {
      // A file git checks out in another encoding, or with `$Id$` expanded, is not runrec's
      // bytes: only that is said.
      if (readError === undefined && !how?.encoding && !how?.ident) {
        result = await verifyRecordFile(file.path, onProblem, {
          deliverableId: recordFileDeliverableId(file.path),
          collidedBefore: history?.base && history.existedAtSince
            ? {
              // Where the check starts: the revision given, or where HEAD's history meets it.
              revision: history.base === history.sinceCommit
                ? history.since
                : history.base.slice(0, 7),
              ids: () => collidedRunIdsAt(history.workTree, history.base!, history.pathAtSince),
            }
            : undefined,
        });
      }
    } catch (e) {
      readError = readFailure(e);
    }
    const journalOnly = readError === undefined
      ? journalOnlyProblems(file.path, inJournal, copies)
      : [];
    for (
      const problem of [...stored ? [stored] : [], ...shared.get(file.path) ?? [], ...journalOnly]
    ) {
      onProblem(problem);
      if (problem.severity === "error") result.errors++;
      else result.warnings++;
    }
    if (readError !== undefined) unreadable++;
    totals.records += result.records;
    totals.errors += result.errors;
    totals.warnings += result.warnings;
    totals.duplicates += result.duplicates;
    // A history git stores other bytes of, or none of, proves nothing: no verdict on it.
    const checked = stored?.severity === "error" ? undefined : history;
    const ok = readError === undefined && result.errors === 0 && !checked?.failure;
    if (!ok) failed = true;
    if (json) {
      out.write(`${firstProblem ? "" : "\n      "}],\n`);
      const rest = { ...result, history: historyJson(checked), ok };
      const body = jsonText(readError ? { ...rest, unreadable: readError } : rest, 2);
      // The object's members, indented to sit inside the file object already opened.
      const members = body.split("\n").slice(1, -1).map((line) => `    ${line}`);
      out.write(`${members.join("\n")}\n    }`);
      continue;
    }
    const shown = oneLine(file.path);
    for (const line of repeats.summary(shown, io.color)) out.write(`${line}\n`);
    // Unchecked, the notes still say where the file came from (a move, its copies).
    if (history) out.write(historyText(shown, history, io.color, !checked));
    if (readError) {
      out.flush();
      io.err(`runrec verify: ${shown}: cannot read: ${readError}\n`);
      continue;
    }
    const verdict = ok ? "ok" : paint("FAILED", "red", io.color);
    const parts = [
      plural(result.records, "record"),
      plural(result.errors, "error"),
      ...(result.duplicates > 0 ? [plural(result.duplicates, "duplicate RunID")] : []),
      plural(result.warnings, "warning"),
      ...(checked ? [`K-APPEND-1 ${checked.failure ? "broken" : "holds"}`] : []),
      ...(history && !checked ? ["K-APPEND-1 unchecked"] : []),
    ];
    out.write(`${shown}: ${verdict}: ${parts.join(", ")}\n`);
  }
  for (const path of gone) {
    failed = true;
    const history = histories.get(path);
    const failure = history?.failure;
    if (json || !failure) continue;
    // A deletion is the whole file's: no line, no version to compare with.
    if (!failure.deleted) {
      out.write(historyText(oneLine(path), history!, io.color));
      continue;
    }
    const where = failure.commit === "working tree"
      ? ""
      : ` in commit ${failure.commit.slice(0, 7)} ${jsonText(failure.subject)}`;
    out.write(
      `${oneLine(path)}: ${paint("K-APPEND-1 broken", "red", io.color)}${where}: ` +
        oneLine(`${failure.message}${failure.remedy ? `; ${failure.remedy}` : ""}`) + "\n",
    );
  }
  // Records spooled after failed writes are not in their files yet: said, not failed.
  const pending = pendingRecords(targets);
  // Runs started and never finished have no record yet: said, not failed.
  const runsOf = pendingRunsByFolder();
  const started = foldersWithPendingRuns(targets).map((dir) => ({
    delDir: dir,
    runs: runsOf(dir),
  }));
  // Warnings go to stderr, as log's do: stdout stays the check's own output.
  // Records a git command took out, which the next append puts back: in no file meanwhile.
  const awaiting = await awaitingPutBack(files.filter((f) => f.exists).map((f) => f.path));
  if (!json) {
    for (const p of pending) io.err(`runrec verify: warning: ${oneLine(describePending(p))}\n`);
    for (const [file, runIds] of awaiting) {
      io.err(`runrec verify: warning: ${oneLine(awaitingPutBackWarning(file, runIds))}\n`);
    }
    // A run whose record waits in the spool (a read-only folder's finish) is said so.
    for (const s of started) {
      for (const warning of await pendingRunWarnings(s.delDir, runsOf)) {
        io.err(`runrec verify: warning: ${oneLine(warning)}\n`);
      }
    }
    // Runs a work tree removed since left pending: its reap is gone with it (./kept_runs.ts).
    for (const warning of removedWorkTreeRunWarnings(targets)) {
      io.err(`runrec verify: warning: ${oneLine(warning)}\n`);
    }
  }
  if (json) {
    out.write(`${firstFile ? "" : "\n  "}],\n`);
    const goneJson = gone.map((path) => ({ path, history: historyJson(histories.get(path)) }));
    out.write(`  "gone": ${jsonText(goneJson)},\n`);
    out.write(`  "spooled": ${jsonText(pending)},\n`);
    const runJson = (delDir: string, r: PendingItem) => ({
      delDir,
      id: r.id,
      agent: r.run?.agent ?? "",
      started: r.run?.start.started ?? "",
      finishing: r.claimedBy !== undefined,
      // Emptied or cut: reap leaves it, and finish records it from its token (the text's warning).
      damaged: r.damaged === true,
    });
    const unfinished = started.flatMap((s) => s.runs.map((r) => runJson(s.delDir, r)));
    // A removed work tree's, as its deliverable folder's here, naming that work tree.
    const removedRuns = removedWorkTreeRuns(targets).flatMap(({ folder, items }) =>
      items.filter((r) => !r.run || recordedThere(folder, r.run) === undefined).map((r) => ({
        ...runJson(folder.delDir, r),
        startedIn: startedIn(r.run, folder.workTree),
      }))
    );
    out.write(`  "pendingRuns": ${jsonText([...unfinished, ...removedRuns])},\n`);
    out.write(`  "journalOnly": ${jsonText(inJournal)},\n`);
    const takenOut = [...awaiting].map(([recordFile, runIds]) => ({
      recordFile,
      runIds,
      command: putBackCommand(recordFile),
    }));
    out.write(`  "takenOut": ${jsonText(takenOut)},\n`);
    for (const [key, value] of Object.entries(totals)) out.write(`  "${key}": ${value},\n`);
    out.write(`  "unreadable": ${unreadable},\n`);
    out.write(`  "ok": ${!failed}\n}\n`);
  } else if (
    // Only folders a checkout took, with nothing to name: as where there are none.
    files.every((f) => journaledOnly.has(f.path)) && (files.length === 0 || !failed) &&
    gone.length === 0
  ) {
    for (const target of targets) refuseSlipInside(target, "no RunRecords.csv, now or at --since,");
    out.write(`no RunRecords.csv found under ${targets.join(", ")}\n`);
  }
  out.flush();
  if (unreadable > 0) return EXIT.usage;
  return failed ? EXIT.check : EXIT.ok;
}

/**
 * The `verify` command.
 *
 * @example
 * ```ts
 * import { main, processIo } from "./main.ts";
 * const code = await main(["verify", ".", "--since", "origin/main"], processIo());
 * ```
 */
export const verifyCommand: Command = {
  name: "verify",
  summary: "check checksums, duplicate RunIDs and append-only history (--since)",
  help: HELP,
  options: { json: { type: "boolean" }, since: { type: "string" } },
  readsOnly: true,
  run,
};
