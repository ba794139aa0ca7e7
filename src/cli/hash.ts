/**
 * `runrec hash`: the governed inputs of a deliverable, their hashes and the
 * InputContextSHA a run would record now.
 *
 * @module
 */
import { resolve } from "../path.ts";
import { deliverableId, requireFolder } from "../deliverable.ts";
import { refuseEmptyPaths } from "../hook.ts";
import { captureStart } from "../hook.ts";
import { inputContextSha, manifestText } from "../manifest.ts";
import { type Command, EXIT, INPUTS_FROM, listOption, positionals, writeJson } from "./command.ts";

const HELP = `runrec hash: hash the governed inputs of a deliverable

Usage:
  runrec hash <del-dir> [--input P]... [--inputs-from F]... [--null] [--allow-outside]
              [--json]

Governed inputs are the --input files, _REFERENCES.md and every local file it
lists (folders expand to the files beneath them; URLs are skipped and noted).
Prints one "<sha256>  <path>" line per input (the format of sha256sum, paths
relative to <del-dir>), then the InputContextSHA: the SHA-256 of exactly those
lines. When every input was hashed, "sha256sum PATHS | LC_ALL=C sort -k2 |
sha256sum" reproduces it; an unreadable input's line is "TBD  <path>", which
sha256sum does not print, so with one the pipe gives another value.
An input outside the project (the git work tree, else the execution root, else
<del-dir>) is not read: it is TBD, with a note, unless --allow-outside.

Options:
  --input P          an extra input file (repeatable)
  --inputs-from F    each path listed in file F an --input, one a line (LF or CRLF; empty
                     lines skipped); - or /dev/stdin is standard input (repeatable)
  --null             the --inputs-from lists are separated by NUL, not by line ends
  --allow-outside    also read inputs outside the project (the git work tree, else the
                     execution root): by default such an input is TBD, not read
  --json             print {DeliverableID, InputContextSHA, InputHashes, Notes}

Exit codes: 0 printed (an unreadable input is TBD, noted); 2 usage error: a
missing folder or one that is no deliverable's, an --inputs-from list that cannot
be read.

Example:
  runrec hash PKG-01_X/1_Working/DEL-01-02_Y --input _CONTEXT.md
`;

/** The `hash` command. */
export const hashCommand: Command = {
  name: "hash",
  summary: "print the governed inputs' hashes and InputContextSHA",
  help: HELP,
  options: {
    input: { type: "string", multiple: true },
    ...INPUTS_FROM,
    "allow-outside": { type: "boolean" },
    json: { type: "boolean" },
  },
  readsOnly: true,
  async run(parsed, io) {
    const [delDir] = positionals(parsed, ["del-dir"]);
    const dir = resolve(delDir);
    requireFolder(dir, delDir);
    const { id, note } = deliverableId(dir);
    const given = listOption(parsed, "input");
    refuseEmptyPaths("inputs", given);
    // What a start would record now: its inputs named as start names them (from the current
    // folder, a drive path left out), so that the two agree (review-u F4).
    const start = await captureStart(dir, {
      inputs: given,
      allowOutside: parsed.values["allow-outside"] === true,
    });
    const hashes = start.inputHashes;
    const inputNotes = start.notes.filter((n) => !n.startsWith("at start: "));
    const notes = note === undefined ? inputNotes : [note, ...inputNotes];
    const sha = inputContextSha(hashes);
    if (parsed.values.json) {
      writeJson(io, { DeliverableID: id, InputContextSHA: sha, InputHashes: hashes, Notes: notes });
      return EXIT.ok;
    }
    // The manifest's lines: sorted and escaped as sha256sum prints them.
    io.out(manifestText(hashes));
    io.out(`InputContextSHA ${sha}  (${id})\n`);
    for (const note of notes) io.err(`runrec: note: ${note}\n`);
    return EXIT.ok;
  },
};
