/**
 * `runrec flush`: append spooled records now.
 *
 * @module
 */
import { requireFolder } from "../deliverable.ts";
import { replaySpool } from "../spool.ts";
import { type Command, EXIT, writeJson } from "./command.ts";

const HELP = `runrec flush: append records that were spooled after a failed write

Usage:
  runrec flush [<del-dir>...] [--json]

Looks in $RUNREC_SPOOL_DIR, each <del-dir>/.runrec-spool/ and $TMPDIR/runrec-spool-<uid>/,
and appends every spooled record to the RunRecords.csv it belongs to. Each record
is replayed once; one that fails again stays in the spool and is reported.

Exit codes: 0 all spooled records written (or none), 1 some remain, 2 usage error.

Example:
  runrec flush PKG-01_X/1_Working/DEL-01-02_Y
`;

/** The `flush` command. */
export const flushCommand: Command = {
  name: "flush",
  summary: "append records spooled after failed writes",
  help: HELP,
  options: { json: { type: "boolean" } },
  async run(parsed, io) {
    const dirs = parsed.positionals.length > 0 ? parsed.positionals : [undefined];
    for (const dir of dirs) if (dir !== undefined) requireFolder(dir);
    const replayed = [];
    const failures: string[] = [];
    for (const dir of dirs) {
      const report = await replaySpool(dir);
      replayed.push(...report.replayed.map((r) => r.record));
      failures.push(...report.failures);
    }
    if (parsed.values.json) {
      writeJson(io, { replayed, failures });
    } else {
      for (const r of replayed) io.out(`${r.RunID}  replayed into ${r.DeliverableID}\n`);
      for (const f of failures) io.err(`runrec: warning: ${f}\n`);
      if (replayed.length === 0 && failures.length === 0) io.out("nothing spooled\n");
    }
    return failures.length > 0 ? EXIT.check : EXIT.ok;
  },
};
