/**
 * `runrec flush`: append spooled records now, or records an orchestrator
 * saved from lost-record lines (`--from FILE`).
 *
 * @module
 */
import { pathArgument } from "../shell_word.ts";
import { oneLine } from "../names.ts";
import { RECORD_FILE, requireFolder } from "../deliverable.ts";
import {
  journaledRecordFile,
  type JournalOnlyJson,
  journalOnlyJson,
  journalOnlyLines,
  journalOnlyMessage,
} from "../journal.ts";
import { failureReason, InputError } from "../errors.ts";
import { resolve } from "../path.ts";
import { leaveNote, leaveWarning } from "../notices.ts";
import { miscasedRootMarkerReason } from "../other_case.ts";
import { type ReplayReport, type RunRecordedAlready, SPOOL_FOLDER } from "../spool.ts";
import { jsonText } from "../json_text.ts";
import {
  leftSpooled,
  type LostLinesReport,
  replayLostFile,
  replayLostRecordLines,
  replaySpool,
  spoolEntries,
} from "../spool_flush.ts";
import { deliverableFolders, refuseSlipInsideDeliverable, SILENT_SEARCH } from "../targets.ts";
import { join } from "../path.ts";
import { type Command, EXIT, type Io, positionals, stringOption, UsageError } from "./command.ts";
import { isStandardInput } from "./path_list.ts";
import type { ByteSource } from "../text_lines.ts";
import type { AppendResult } from "../append_types.ts";
import { keptCopies, keptJournalOf } from "../kept_journals.ts";
import { goneJournaledRecordFiles } from "../gone_record_files.ts";

const HELP = `runrec flush: append records that were spooled after a failed write

Usage:
  runrec flush [<del-dir|root>...] [--json]
  runrec flush --from FILE [--json]        (no folder: each line names its file)

Appends every record waiting in a spool to the RunRecords.csv it belongs to, oldest
first, each once: the .runrec-spool/ of each deliverable folder named or beneath a
<root> named, $RUNREC_SPOOL_DIR and $TMPDIR/runrec-spool-<uid>/.
With no folder given, the current folder (as "flush ."). It also puts back a record
this work tree appended in the last day that a git command dropped from its file, and
names a record only its journal holds. An entry it cannot append stays spooled,
reported STUCK with its reason and what to do.

Options:
  --from FILE   append the records of the "runrec: lost-record: ..." lines saved in
                FILE (from an emit that could neither write nor spool; - reads them
                from standard input); FILE a journal
                (<del-dir>/.runrec/RunRecords.csv.journal): the records only it holds
  --json        print {replayed, putBack, repeats, alreadyWritten, alreadyRecorded,
                claimed, failures, elsewhere, removedTemporaries, journalOnly:
                [{runId, recordFile, appendedAt, why, branch, command}]} as JSON
  -h, --help    show this help

Exit codes: 0 every spooled record at or beneath the folders named written (or none),
1 some remain or are STUCK, a --from line is refused, only a journal holds a record, or
one written was not synced or noted in its journal (commit it first: said on stderr),
2 usage error (also a missing folder, a --from file that cannot be read). Standard
output failing (a full disk, its reader gone) changes none of these: the printout is
lost, not the records; one line on stderr says how many were appended and how many
stay spooled (docs/COMMANDS.md, "runrec flush").

Example:
  runrec flush PKG-01_X/1_Working/DEL-01-02_Y
  runrec flush .
  runrec flush --from lost-records.txt

Each refusal and its remedy, the folders looked in, put-backs: SCHEMA.md 7.3 (journal:
7.1); docs/TUTORIAL.md, "When a record cannot be written".
`;

/** An unreadable `--from` file, named as the flag that gave it. */
function namingFrom(error: unknown): never {
  throw error instanceof InputError ? new InputError(`--from ${error.message}`) : error;
}

/**
 * Standard input, to read the lost-record lines piped in (`--from -`, or `/dev/stdin` as
 * `--inputs-from` takes it), a failed read named as the flag that gave it. A terminal is
 * refused, not waited on: no agent types there (docs/AGENT_PROTOCOL.md section 6).
 */
function standardInput(from: string): ByteSource {
  const where = `--from ${from} (standard input)`;
  if (Deno.stdin.isTerminal()) {
    throw new InputError(`${where}: a terminal: pipe the lost-record lines in, or name their file`);
  }
  return {
    readSync(buffer: Uint8Array) {
      try {
        return Deno.stdin.readSync(buffer);
      } catch (e) {
        throw new InputError(`${where}: cannot read: ${failureReason(e as Error)}`);
      }
    },
  };
}

/** `path` with links resolved, or as it is when it cannot be (a name not valid UTF-8). */
function realOrAsIs(path: string): string {
  try {
    return Deno.realPathSync(path);
  } catch {
    return path;
  }
}

/**
 * The tool roots (`_Archive/`) a search beneath `targets` passes over, each a target names
 * aside (it is looked in): `skippedToolRoot` for {@linkcode deliverableFolders}, and `noteWaiting`
 * to call once the replay is done, which leaves a note for each tool root whose deliverables'
 * own spools still hold records (flush skips those: the record files there are none of its
 * concern) and returns how many records wait there in all.
 */
function toolRootSpools(targets: readonly string[]) {
  const named = new Set(targets.map(realOrAsIs));
  const skipped: string[] = [];
  return {
    skippedToolRoot: (folder: string) => {
      if (!named.has(realOrAsIs(folder))) skipped.push(folder);
    },
    noteWaiting: (): number => {
      let all = 0;
      for (const folder of skipped) {
        const dels = deliverableFolders(folder, SILENT_SEARCH);
        const spools = dels.map((del) => join(resolve(del), SPOOL_FOLDER) + "/");
        // Only the deliverables' own spools: the user's spool was flushed for every file named.
        let waiting = 0;
        for (const { item } of spoolEntries(dels)) {
          if (spools.some((spool) => item.path.startsWith(spool))) waiting++;
        }
        if (waiting === 0) continue;
        all += waiting;
        const records = waiting === 1 ? "1 spooled record" : `${waiting} spooled records`;
        leaveNote(
          `skipped ${folder}: a tool root (a "_" folder of an execution root, for snapshot ` +
            `copies) with ${records} not flushed; name it to flush ${
              waiting === 1 ? "it" : "them"
            }: runrec flush ${pathArgument(folder)}`,
        );
      }
      return all;
    },
  };
}

/** The line for a spooled record left out because its run's record is in the file already. */
function alreadyRecordedLine(r: RunRecordedAlready, lost: boolean): string {
  return `${lost ? "lost record" : "spool entry"} ${r.entry}: run ${r.run} is recorded already, ` +
    `as ${r.runId} (a finish or reap that did not see this spool); ${
      lost ? "nothing appended" : "removed, not appended"
    }`;
}

/** The start of `flush --json`'s document, printed with its first record. */
const JSON_HEAD = '{\n  "replayed": [';

/**
 * Standard output for a flush's printout: a write that fails (a full disk) is kept, not thrown, and
 * the rest of the printout dropped: the replay goes on, each record appended, and the end says
 * the failure (`failed`), as it does a reader gone (`| head -c1`).
 */
function printing(io: Io): { say(text: string): void; failed(): string | undefined } {
  let failure: string | undefined;
  return {
    say(text) {
      if (failure !== undefined) return;
      try {
        io.out(text);
      } catch (e) {
        failure = failureReason(e as Error).replace(/^cannot write to standard output: /, "");
      }
    },
    failed: () => failure ?? io.outLost?.(),
  };
}

/** Lines of a `--from` replay whose records are in no file: neither appended nor there already. */
function notAppended(report: LostLinesReport, appended: number): number {
  return Math.max(
    0,
    report.lines - appended - report.alreadyWritten.length - report.alreadyRecorded.length,
  );
}

/** The `flush` command. */
export const flushCommand: Command = {
  name: "flush",
  summary: "append records spooled after failed writes",
  help: HELP,
  options: { json: { type: "boolean" }, from: { type: "string" } },
  async run(parsed, io) {
    const from = stringOption(parsed, "from");
    // A lost-record line names its own RunRecords.csv: a folder given too would be ignored.
    if (from !== undefined && parsed.positionals.length > 0) {
      throw new UsageError(
        `--from ${from} takes no folder (got ${JSON.stringify(parsed.positionals[0])}): each ` +
          "lost-record line names its RunRecords.csv; run runrec flush DIR apart to flush a folder",
      );
    }
    const targets = parsed.positionals.length > 0
      ? positionals(parsed, ["del-dir|root"], "targets")
      : ["."];
    for (const target of targets) {
      requireFolder(target);
      refuseSlipInsideDeliverable(target);
    }
    // A folder named is looked in as it is; beneath it, every deliverable folder, even one
    // with no RunRecords.csv yet (its first record may be the one spooled). A tool root
    // (`_Archive/`) is not looked in: one whose deliverables hold spooled records is named.
    const toolRoots = toolRootSpools(targets);
    const skippedToolRoot = toolRoots.skippedToolRoot;
    // A writer goes on where case counts, as it would where it does not: warned, not stopped.
    const miscasedRoot = (marker: string) =>
      leaveWarning(`${marker}: ${miscasedRootMarkerReason(marker)}`);
    const dirs = from !== undefined ? [] : [
      ...new Map(
        targets.flatMap((t) => [t, ...deliverableFolders(t, { skippedToolRoot, miscasedRoot })])
          .map((dir) => [resolve(dir), dir]),
      ).values(),
    ];
    // `--from -`: the lines piped in, as `runrec emit ... 2>&1 | runrec flush --from -` gives them.
    const stdin = from !== undefined && isStandardInput(from);
    const source = stdin ? "standard input" : from;
    // Printed as each batch is appended, not held (a flush may append thousands), --json too:
    // its document is begun with the first record and ended once the replay is done.
    const json = parsed.values.json === true;
    const printout = printing(io);
    let appended = 0;
    const onReplayed = ({ record }: AppendResult) => {
      printout.say(
        json
          ? `${appended === 0 ? JSON_HEAD : ","}\n    ${
            jsonText(record, 2).replaceAll("\n", "\n    ")
          }`
          : `${record.RunID}  replayed into ${record.DeliverableID}\n`,
      );
      appended++;
    };
    const lost = from === undefined
      ? undefined
      : stdin
      ? await replayLostRecordLines(standardInput(from), "standard input", {}, onReplayed)
      : await replayLostFile(from, {}, onReplayed).catch(namingFrom);
    const report: ReplayReport = lost ?? await replaySpool(dirs, {}, onReplayed);
    // Records no replay appends: only the journal holds them (SCHEMA.md 7.1), each named with
    // the command that does. `flush --from` of that journal appends them.
    const journalOnly: JournalOnlyJson[] = [...lost?.journalOnly ?? []];
    // And of record files a checkout took (or at a removed work tree's path) whose journal stays.
    const files = dirs.map((dir) => join(dir, RECORD_FILE));
    const listed = new Set(files.map((file) => resolve(file)));
    const copies = keptCopies();
    const gone = from !== undefined
      ? []
      : targets.flatMap((t) => goneJournaledRecordFiles(t, copies));
    for (const file of gone) if (!listed.has(resolve(file))) files.push(file);
    for (const file of files) {
      // What this build may not start git to check is verify's warning, not a failed flush.
      const lines = journalOnlyLines(resolve(file), undefined, copies);
      for (const record of lines.filter((l) => l.unchecked !== "no git")) {
        report.failures.push(journalOnlyMessage(file, record));
        journalOnly.push(journalOnlyJson(file, record));
      }
    }
    const { claimed, elsewhere } = report;
    const waitingInToolRoots = toolRoots.noteWaiting();
    if (json) {
      const document = jsonText({
        replayed: [],
        putBack: report.putBack.map(({ runId, file }) => ({ runId, file })),
        repeats: report.repeats,
        alreadyWritten: report.alreadyWritten,
        alreadyRecorded: report.alreadyRecorded,
        claimed,
        failures: report.failures,
        elsewhere,
        removedTemporaries: report.removedTemporaries,
        journalOnly,
      }, 2);
      // After the records printed already, `]` closes their array; the document follows from
      // its second key (its head, JSON_HEAD, was printed with the first record).
      printout.say(
        appended === 0 ? `${document}\n` : `\n  ]${document.slice(JSON_HEAD.length + 1)}\n`,
      );
    } else {
      for (const { warning } of report.repeats) {
        io.err(`runrec flush: warning: ${oneLine(warning)}\n`);
      }
      for (const { runId, file, why } of report.putBack) {
        const cause = why === undefined
          ? ", which a git command (pull, checkout, reset, revert) had dropped it from"
          : ` from its journal: ${why}`;
        printout.say(`${runId}  put back into ${oneLine(file)}${oneLine(cause)}\n`);
      }
      for (const { entry, runId } of report.alreadyWritten) {
        // A spool entry found in its file is removed; a lost-record line stays in FILE.
        printout.say(
          lost
            ? `${runId}  lost record ${oneLine(entry)} is already in its file; nothing appended\n`
            : `${runId}  spool entry ${oneLine(entry)} was already in its file; removed\n`,
        );
      }
      for (const r of report.alreadyRecorded) {
        printout.say(`${oneLine(alreadyRecordedLine(r, lost !== undefined))}\n`);
      }
      for (const i of claimed) {
        io.err(`runrec: warning: ${oneLine(`CLAIMED by ${i.claimedBy}: ${i.path}`)}\n`);
      }
      for (const path of report.removedTemporaries) {
        io.err(`runrec flush: removed ${oneLine(path)}, a temporary file its killed writer left\n`);
      }
      for (const f of report.failures) io.err(`runrec: warning: ${oneLine(f)}\n`);
      for (const line of elsewhere) {
        io.err(`runrec: warning: outside the folders named, not failed for: ${oneLine(line)}\n`);
      }
      const nothing = appended + report.putBack.length + report.alreadyWritten.length +
        report.alreadyRecorded.length + claimed.length +
        report.failures.length + elsewhere.length;
      const journaled = from === undefined || stdin
        ? undefined
        : journaledRecordFile(resolve(from)) ?? keptJournalOf(from)?.recordFile;
      // A failure says why none was looked for (a folder at a journal's record file's path).
      const none = lost?.lines === 0 && report.failures.length === 0;
      if (none && journaled !== undefined) {
        printout.say(
          `${source}: no record only this journal holds (each is in its file, a branch or a ` +
            "stash, or the next append puts it back); nothing appended\n",
        );
      } else if (none) {
        printout.say(`${source}: no lost-record line in it; nothing appended\n`);
      } else if (nothing === 0) {
        printout.say(
          waitingInToolRoots === 0
            ? "nothing spooled\n"
            : "nothing spooled outside the tool roots skipped (see the note)\n",
        );
      }
    }
    const code = report.failures.length + claimed.length > 0 ? EXIT.check : EXIT.ok;
    const failed = printout.failed();
    if (failed !== undefined) {
      // The records are where the exit code says, only their printout is lost: exit 2 would say
      // nothing was done, and send a caller to look for records lost.
      const left = lost === undefined
        ? `${leftSpooled(dirs)} still spooled`
        : `${notAppended(lost, appended)} of its lines not appended (the same runrec flush ` +
          "--from appends them, each once)";
      io.err(
        `runrec flush: standard output failed (${failed}): ${appended} record(s) appended, ` +
          `${left}; exit ${code} says where they are (docs/COMMANDS.md, "runrec flush")\n`,
      );
    }
    return code;
  },
};
