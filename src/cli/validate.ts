/**
 * `runrec validate`: checks every line of record files against the schema,
 * streaming, and prints each problem with its file and line.
 *
 * @module
 */
import { readFailure } from "../errors.ts";
import { checkRecordFile } from "../reader.ts";
import { refuseOtherFiles, resolveTargets } from "../targets.ts";
import { describeLineProblem } from "../verify.ts";
import { noRunRecord } from "../line_problems.ts";
import { type Command, EXIT, type Io, type Parsed, positionals } from "./command.ts";
import { jsonText } from "../json_text.ts";
import { BufferedOut, paint, plural, problemLine, RepeatedWarnings } from "./format.ts";
import { oneLine } from "../names.ts";

const HELP = `runrec validate: check every line of record files against the schema

Usage: runrec validate <file|del-dir|root>... [--json]

Each target is a record file, a deliverable folder (its RunRecords.csv; one
with no RunRecords.csv yet has "no records yet", which is fine), or any other
folder (every RunRecords.csv beneath it; tool roots such as _Archive/ and
linked worktrees left out, each with a note). Every problem is printed as
"path:line: field message"; warnings (torn records, CR LF, lifecycle rules
broken, ...) say "warning:" and do not fail. Each line is checked on its own:
a RunID used twice is runrec verify's check.

Options:
  --json      print one JSON document: {files: [{path, exists, problems, records,
              errors, warnings, unreadable?}], records, errors, warnings,
              unreadable (files that could not be read), ok}
  -h, --help  show this help

Exit codes: 0 no errors (warnings allowed); 1 a line has an error (corrupt,
invalid, bad header); 2 usage error, missing target, unreadable file, or a
file named that is not a record file (not named RunRecords.csv, and its first
line is no runrec header, whole or damaged: Datasheet.md, Dependencies.csv).

Example:
  runrec validate PKG-01_Alpha/1_Working/DEL-01-02_Spec
  runrec validate . --json

The folders left out, every warning, unreadable files: docs/COMMANDS.md,
"runrec validate"; the rules: SCHEMA.md, sections 2 and 8.
`;

/** Totals over one file or all of them. */
interface Counts {
  records: number;
  errors: number;
  warnings: number;
}

/** What the text and JSON outputs do at each step of the stream. */
interface Sink {
  start(): void;
  beginFile(path: string, exists: boolean): void;
  problem(
    path: string,
    p: {
      line: number;
      severity: "error" | "warning";
      code: string;
      field: string;
      message: string;
    },
  ): void;
  endFile(path: string, exists: boolean, counts: Counts, unreadable?: string): void;
  end(total: Counts & { files: number; unreadable: number }, targets: string[]): void;
}

/**
 * Problem lines the text output prints per file: a file of a wrong kind, or a merge gone wrong,
 * holds a problem on every line, and a CI log cut short would lose the summary (review-x F8).
 */
export const PROBLEMS_SHOWN = 1000;

function textSink(io: Io, out: BufferedOut): Sink {
  let repeats = new RepeatedWarnings();
  let shown = 0;
  let hidden = 0;
  return {
    start() {},
    beginFile() {
      repeats = new RepeatedWarnings();
      shown = 0;
      hidden = 0;
    },
    problem(file, p) {
      const path = oneLine(file); // one line however the path is named (fs-semantics F2)
      const message = describeLineProblem(p);
      if (!repeats.isShown(p.severity, message)) return;
      if (shown++ < PROBLEMS_SHOWN) {
        out.write(problemLine(path, p.line, p.severity, message, io.color));
      } else hidden++;
    },
    endFile(file, exists, counts, unreadable) {
      const path = oneLine(file);
      for (const line of repeats.summary(path, io.color)) out.write(`${line}\n`);
      if (hidden > 0) {
        out.write(
          `${path}: ${plural(hidden, "more problem")} not shown (the first ` +
            `${PROBLEMS_SHOWN.toLocaleString("en-US")} are; --json lists every one)\n`,
        );
      }
      if (unreadable !== undefined) {
        out.flush();
        io.err(`runrec validate: ${path}: cannot read: ${unreadable}\n`);
        return;
      }
      if (!exists) {
        out.write(`${path}: no records yet (no RunRecords.csv)\n`);
        return;
      }
      const verdict = counts.errors > 0 ? paint("FAILED", "red", io.color) : "ok";
      out.write(
        `${path}: ${verdict}: ${plural(counts.records, "record")}, ${
          plural(counts.errors, "error")
        }, ${plural(counts.warnings, "warning")}\n`,
      );
    },
    end(total, targets) {
      if (total.files === 0) {
        out.write(`no RunRecords.csv found under ${targets.join(", ")}\n`);
      } else if (total.files > 1) {
        // A file that cannot be read is an error (exit 2), named on stderr above (trial-q F6).
        const unreadable = total.unreadable > 0
          ? ` (${plural(total.unreadable, "file")} unreadable)`
          : "";
        out.write(
          `total: ${plural(total.files, "file")}, ${plural(total.records, "record")}, ${
            plural(total.errors + total.unreadable, "error")
          }${unreadable}, ${plural(total.warnings, "warning")}\n`,
        );
      }
      out.flush();
    },
  };
}

/** Streams the JSON document piece by piece, so a file full of problems costs no memory. */
function jsonSink(out: BufferedOut): Sink {
  let firstFile = true;
  let firstProblem = true;
  return {
    start() {
      out.write(`{\n  "files": [`);
    },
    beginFile(path, exists) {
      out.write(`${firstFile ? "" : ","}\n    {\n      "path": ${jsonText(path)},\n`);
      out.write(`      "exists": ${exists},\n      "problems": [`);
      firstFile = false;
      firstProblem = true;
    },
    problem(_path, p) {
      const item = { line: p.line, severity: p.severity, code: p.code, field: p.field };
      out.write(
        `${firstProblem ? "" : ","}\n        ${
          jsonText({ ...item, message: describeLineProblem(p) })
        }`,
      );
      firstProblem = false;
    },
    endFile(_path, _exists, counts, unreadable) {
      out.write(`${firstProblem ? "" : "\n      "}],\n`);
      out.write(`      "records": ${counts.records},\n      "errors": ${counts.errors},\n`);
      out.write(`      "warnings": ${counts.warnings}`);
      if (unreadable !== undefined) {
        out.write(`,\n      "unreadable": ${jsonText(unreadable)}`);
      }
      out.write(`\n    }`);
    },
    end(total) {
      out.write(`${firstFile ? "" : "\n  "}],\n`);
      out.write(`  "records": ${total.records},\n  "errors": ${total.errors},\n`);
      out.write(`  "warnings": ${total.warnings},\n  "unreadable": ${total.unreadable},\n`);
      out.write(`  "ok": ${total.errors === 0 && total.unreadable === 0}\n}\n`);
      out.flush();
    },
  };
}

/** The warning for a file whose lines under its header are torn, every one: see `noRunRecord`. */
function noRecordWarning(torn: readonly number[]) {
  return {
    line: torn[0],
    severity: "warning" as const,
    code: "no-records",
    field: "RecordChecksum",
    message: noRunRecord(torn),
  };
}

async function run(parsed: Parsed, io: Io): Promise<number> {
  const targets = positionals(parsed, ["file|del-dir|root"], "targets");
  const files = await resolveTargets(targets, { keepUnreadable: true });
  // A record file with a damaged header is checked line by line: what this command is for.
  await refuseOtherFiles(files, { keepDamaged: true });
  const out = new BufferedOut(io);
  const sink = parsed.values.json ? jsonSink(out) : textSink(io, out);
  const total = { records: 0, errors: 0, warnings: 0, files: files.length, unreadable: 0 };
  sink.start();
  for (const file of files) {
    sink.beginFile(file.path, file.exists);
    const counts: Counts = { records: 0, errors: 0, warnings: 0 };
    let unreadable = file.unreadable;
    if (unreadable !== undefined) {
      total.unreadable++;
    } else if (file.exists) {
      let sawLine = false;
      const torn: number[] = [];
      try {
        for await (const batch of checkRecordFile(file.path)) {
          sawLine = true;
          counts.records += batch.records;
          for (const problem of batch.problems) {
            if (problem.severity === "error") counts.errors++;
            else counts.warnings++;
            if (problem.code === "torn") torn.push(problem.line);
            sink.problem(file.path, problem);
          }
        }
      } catch (e) {
        unreadable = readFailure(e);
        total.unreadable++;
      }
      if (!sawLine && unreadable === undefined) {
        counts.warnings++;
        sink.problem(file.path, {
          line: 1,
          severity: "warning",
          code: "empty",
          field: "",
          message: "file is empty (no header, no records)",
        });
      }
      if (unreadable === undefined && counts.records === 0 && torn.length > 0) {
        counts.warnings++;
        sink.problem(file.path, noRecordWarning(torn));
      }
    }
    total.records += counts.records;
    total.errors += counts.errors;
    total.warnings += counts.warnings;
    sink.endFile(file.path, file.exists, counts, unreadable);
  }
  sink.end(total, targets);
  if (total.unreadable > 0) return EXIT.usage;
  return total.errors > 0 ? EXIT.check : EXIT.ok;
}

/**
 * The `validate` command.
 *
 * @example
 * ```ts
 * import { main, processIo } from "./main.ts";
 * const code = await main(["validate", "examples/", "--json"], processIo());
 * ```
 */
export const validateCommand: Command = {
  name: "validate",
  summary: "check every line of record files against the schema",
  help: HELP,
  options: { json: { type: "boolean" } },
  readsOnly: true,
  run,
};
