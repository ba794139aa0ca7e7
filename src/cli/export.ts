/**
 * `runrec export`: run records as OpenLineage RunEvents (JSON Lines) or as a
 * W3C PROV-JSON document, for the lineage tools a team already runs.
 *
 * @module
 */
import { basename } from "../path.ts";
import { oneLine } from "../names.ts";
import { openLineageLines } from "../export/openlineage.ts";
import { provDocumentStreamed } from "../export/prov.ts";
import { type CollectOptions, namespaceProblem } from "../export/runs.ts";
import { streamRuns } from "../export/streamed_runs.ts";
import { batched, exportTarget, writeExport } from "../export/write.ts";
import { pendingRunsByFolder } from "../pending.ts";
import { foldersWithPendingRuns } from "../pending_folders.ts";
import { describePendingRuns } from "../pending_warnings.ts";
import { describePending, pendingRecords } from "../spool_pending.ts";
import { RECORD_FILE } from "../deliverable.ts";
import {
  type Command,
  EXIT,
  type Io,
  type Parsed,
  positionals,
  requiredOption,
  stringOption,
  UsageError,
} from "./command.ts";
import { choiceMeant, plural } from "./format.ts";

const FORMATS = ["openlineage", "prov"] as const;

const HELP = `runrec export: run records for lineage tools

Usage: runrec export <del-dir|file|root>... --format openlineage|prov
                     [--out FILE] [--namespace NS]

Exports every valid record of the targets (a deliverable folder, a record
file, or a root: every RunRecords.csv beneath it); the same records always give
byte-identical output. Lines that cannot be read are skipped with a warning, as
runrec log does. Annotations are exported with the run they are about.

Formats:
  openlineage  OpenLineage 2-0-2 RunEvents, one JSON object per line: per
               record a START and a COMPLETE, FAIL or ABORT event; the job is
               the deliverable, each input and output file a dataset
  prov         one W3C PROV-JSON document: runs are activities, file versions
               entities (with runrec:sha256), agents agents.

Options:
  --format F      openlineage or prov (required)
  --out FILE      write to FILE instead of standard output, whole or not at all
  --namespace NS  the OpenLineage namespace of jobs and datasets (default: the
                  name of each deliverable's execution root folder); give one
                  that is the same in every checkout (github.com/acme/plant)
  -h, --help      show this help

Exit codes: 0 exported (also when there are no records); 2 usage error,
missing target or unreadable file (nothing is written then).

Example:
  runrec export . --format openlineage --namespace github.com/acme/plant \\
    --out lineage.jsonl
  runrec export PKG-01_Alpha/1_Working/DEL-01-02_Spec --format prov

--out and --namespace in full: docs/COMMANDS.md, "runrec export"; the mapping
and sending the events to Marquez: docs/EXPORT.md.
`;

async function parseFormat(parsed: Parsed): Promise<typeof FORMATS[number]> {
  // Any case, as --status takes one (`--format OpenLineage`).
  const typed = requiredOption(parsed, "format");
  const format = typed.toLowerCase();
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(
      `--format: ${JSON.stringify(typed)} is not one of ${FORMATS.join(", ")}` +
        await choiceMeant(format, FORMATS),
    );
  }
  return format as typeof FORMATS[number];
}

/**
 * Refuses an `--out` that names a record file, its lock or runrec's state:
 * writing the export there would replace records that are only ever appended.
 */
function refuseRunrecFile(out: string): void {
  const name = basename(out);
  if (
    name === RECORD_FILE || name.startsWith(`${RECORD_FILE}.`) ||
    out.split(/[\\/]/).some((segment) => segment.startsWith(".runrec"))
  ) {
    throw new UsageError(
      `--out ${out}: a record file or runrec's own state, which export never overwrites ` +
        "(records are only ever appended); name another file",
    );
  }
}

/** The runs an export writes: how many, and its text, made as it is written. */
interface Exported {
  count: number;
  text(): AsyncIterable<string> | Iterable<string>;
}

/**
 * The runs of `targets` and the text of their export: the runs are read again as the text is
 * written, never all held (mem-38 F2); PROV-JSON's activities, which go by id, not by time, each
 * from where it is (../export/prov.ts `provDocumentStreamed`).
 */
async function runsToExport(
  format: typeof FORMATS[number],
  targets: readonly string[],
  options: CollectOptions & { unreadable(message: string): void },
): Promise<Exported> {
  const streamed = await streamRuns(targets, options);
  if (format === "prov") {
    return {
      count: streamed.count,
      text: () => provDocumentStreamed(streamed),
    };
  }
  return {
    count: streamed.count,
    async *text() {
      for await (const run of streamed.runs()) yield* openLineageLines([run]);
    },
  };
}

async function run(parsed: Parsed, io: Io): Promise<number> {
  const targets = positionals(parsed, ["del-dir|file|root"], "targets");
  const format = await parseFormat(parsed);
  // `-` is standard output, as for most tools (trial-t F8); a file named so is `./-`.
  const outOption = stringOption(parsed, "out");
  const out = outOption === "-" ? undefined : outOption;
  const namespace = stringOption(parsed, "namespace");
  if (out === "") throw new UsageError("--out needs a file name");
  if (out !== undefined) refuseRunrecFile(out);
  // Where a link leads is checked too: the export replaces that file.
  const target = out === undefined ? undefined : exportTarget(out);
  if (target !== undefined) refuseRunrecFile(target.path);
  const namespaceWrong = namespace === undefined ? undefined : namespaceProblem(namespace);
  if (namespaceWrong) throw new UsageError(`--namespace ${namespaceWrong}`);
  const warn = (message: string) => io.err(`runrec export: warning: ${oneLine(message)}\n`);
  // Every file is read, so that each unreadable one is named; then nothing is written.
  let unreadable = 0;
  const cannotRead = (message: string) => {
    unreadable++;
    io.err(`runrec export: ${message}\n`);
  };
  const options = { namespace, warn, unreadable: cannotRead };
  const exported = await runsToExport(format, targets, options);
  if (unreadable > 0) {
    io.err(`runrec export: nothing exported: ${plural(unreadable, "record file")} unreadable\n`);
    return EXIT.usage;
  }
  if (exported.count === 0) warn("no run records to export");
  const write = async (to: (chunk: string) => void) => {
    for await (const chunk of batched(exported.text())) to(chunk);
  };
  if (out === undefined || target === undefined) {
    await write(io.out);
  } else {
    const what = format === "openlineage"
      ? `${plural(exported.count * 2, "OpenLineage event")}`
      : "a PROV-JSON document";
    const summary = `runrec export: wrote ${plural(exported.count, "run")} as ${what} to ${out}\n`;
    // The summary goes where the export does not: standard output may be the export itself.
    if (target.how === "stdout") {
      await write(io.out);
      io.err(summary);
    } else if (target.how === "stderr") {
      await write(io.err);
      io.out(summary);
    } else {
      await writeExport(out, { path: target.path, how: target.how }, exported.text());
      (target.how === "stream" ? io.err : io.out)(summary);
    }
  }
  for (const p of pendingRecords(targets)) warn(describePending(p));
  // Its runs kept outside it too: they are what listed the folder.
  const runsOf = pendingRunsByFolder();
  for (const dir of foldersWithPendingRuns(targets)) warn(describePendingRuns(dir, runsOf(dir)));
  return EXIT.ok;
}

/**
 * The `export` command.
 *
 * @example
 * ```ts
 * import { main, processIo } from "./main.ts";
 * await main(["export", "examples/", "--format", "openlineage"], processIo());
 * ```
 */
export const exportCommand: Command = {
  name: "export",
  summary: "export run records as OpenLineage events or W3C PROV-JSON",
  help: HELP,
  options: {
    format: { type: "string" },
    out: { type: "string" },
    namespace: { type: "string" },
  },
  readsOnly: true,
  // A CI job that passes --json to every command: export's output is JSON already.
  notTaken: {
    json: "export's output is JSON already (--format openlineage: one event a line; " +
      "--format prov: one document): leave --json out",
  },
  run,
};
