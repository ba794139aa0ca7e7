/**
 * Arguments more than a command takes, said as what they were meant: a path
 * or free text the shell split at its spaces (`$DIR` or `--notes hello
 * world` unquoted), paths given to an option that takes one (`--output
 * *.md`), a word after a one-value option's value (`--duration 5 min`).
 * Without these a command said "unexpected argument" for the second word,
 * which does not say to quote it or to repeat the option.
 *
 * @module
 */
import { isThere } from "../lookups.ts";
import { kindOf } from "../walk.ts";
import { shellWord } from "../shell_word.ts";
import type { MorePositionals, Parsed } from "./command.ts";
import { UsageError } from "./usage_error.ts";

/**
 * Throws {@linkcode UsageError} for the positionals of `parsed` that are
 * more than `names` and `more` take, or split a path, when they were most
 * likely meant otherwise: a path split at its spaces, an option's path or
 * text split so, more paths than one after `--input`/`--output` (`exec`'s
 * words before its `--` too). Returns when nothing says what they were.
 *
 * @example
 * ```ts
 * import { parseCommandArgs } from "./command.ts";
 * import { refuseStrayArguments } from "./stray_arguments.ts";
 * const options = { notes: { type: "string", text: true } } as const;
 * const parsed = parseCommandArgs(["D", "--notes", "all", "done"], options);
 * refuseStrayArguments(parsed, ["del-dir"], "none"); // throws UsageError: … (--notes 'all done')
 * ```
 */
export function refuseStrayArguments(
  parsed: Parsed,
  names: readonly string[],
  more: MorePositionals,
): void {
  const got = parsed.positionals;
  // The words from a path's place on: a command's own arguments (exec's CMD) are not paths.
  refuseSplitPath(got, (i) => {
    const name = i < names.length ? names[i] : more === "targets" ? names.at(-1) : undefined;
    return name !== undefined && isPathName(name);
  });
  if (more === "none" && got.length > names.length) {
    const bases = basesOf(got.slice(0, names.length));
    refuseSplitValue(parsed.values, got.slice(names.length), bases);
    refuseSplitText(parsed, got.length - names.length);
    refuseManyPaths(parsed, got.length - names.length, bases);
  }
  if (more === "arguments") {
    // `exec D --input a.md b.md -- CMD`: the words before the `--` were meant as paths, not CMD.
    const command = got.slice(names.length - 1);
    const separator = command.indexOf("--");
    // A `--` before CMD (`exec D --agent A -- gone -- x`) said where CMD starts: a later `--` is
    // CMD's own, and CMD is run (a failed start is recorded), whatever its words.
    const cmdAfterSeparator = parsed.beforeSeparator !== undefined &&
      parsed.beforeSeparator < names.length - 1 + separator;
    // A program it can run (`./tool.sh -- x`) is CMD, its `--` its own.
    if (separator > 0 && !cmdAfterSeparator && !isProgram(command[0])) {
      const bases = basesOf(got.slice(0, names.length - 1));
      refuseManyPaths(parsed, separator, bases, undefined, names.length - 1);
      // Words naming no file (`--input a.md gone.md -- CMD`) either: gone.md would be run, and
      // its failed start recorded. A command on PATH (`--agent A make -- x`) is CMD.
      if (command[0].includes("/") || !onPath(command[0])) {
        refuseManyPaths(parsed, separator, bases, command[0], names.length - 1);
        // Not straight after a path option (`--input a.md D b.md -- CMD`: an --input forgotten):
        // run, it was a FAILED record of a command that could not be started.
        const word = shellWord(command[0]);
        // A script not made executable is there: say so, it may be the CMD meant.
        const kind = kindOf(command[0]);
        const why = kind === "folder"
          ? "it is a folder, not a program"
          : kind === "file"
          ? `it is not a program (not executable: chmod +x ${word} to run it as CMD)`
          : "it names no command";
        throw new UsageError(
          `unexpected argument ${word} before --: ${why}, and CMD goes after the --; did you ` +
            `mean --input ${word}? (nothing run, nothing recorded)`,
        );
      }
    }
    // `exec D --input a.md gone.md`, no `--` at all: CMD straight after a path option's value,
    // naming no command, was most likely a second path too; run, it is a FAILED record.
    const noSeparator = separator < 0 && parsed.beforeSeparator === undefined;
    if (noSeparator && command.length > 0 && !isProgram(command[0])) {
      if (command[0].includes("/") || !onPath(command[0])) {
        const bases = basesOf(got.slice(0, names.length - 1));
        refuseManyPaths(parsed, 1, bases, command[0], names.length - 1);
      }
    }
  }
}

/**
 * Whether a positional of this name (as the help names it) is a path.
 *
 * @example
 * ```ts
 * import { isPathName } from "./stray_arguments.ts";
 * isPathName("del-dir"); // true
 * isPathName("RUNID"); // false
 * ```
 */
export function isPathName(name: string): boolean {
  return /dir|file|root/.test(name);
}

/**
 * Throws {@linkcode UsageError} for a path the shell split at its spaces
 * (`runrec emit $DIR` unquoted, a deliverable's label holding a space): the
 * first word that names nothing here, at a path's place (`isPathAt`), joined
 * to the words after it, names a path. Without this it was "unexpected
 * argument" or "no such folder" for a part of it, which does not say to quote it.
 */
function refuseSplitPath(got: readonly string[], isPathAt: (i: number) => boolean): void {
  const first = got.findIndex((word) => !isThere(word));
  if (first < 0 || !isPathAt(first)) return;
  for (let last = first + 1; last < got.length; last++) {
    const joined = got.slice(first, last + 1).join(" ");
    if (!isThere(joined)) continue;
    throw new UsageError(
      `${JSON.stringify(joined)}: split at its spaces into ${last - first + 1} arguments: ` +
        `quote it ("$DIR")`,
    );
  }
}

/**
 * Throws {@linkcode UsageError} for an option's path the shell split at its
 * spaces (`--output $P` unquoted, `--input Data sheet.md`): the value joined
 * to some of the `extra` words after it names a path, from the current folder
 * or from a folder the `named` positionals give (a deliverable folder, or a
 * token's). Without this it was "unexpected argument" for its second word.
 */
function refuseSplitValue(
  values: Parsed["values"],
  extra: readonly string[],
  bases: readonly string[],
): void {
  for (const [key, value] of Object.entries(values)) {
    for (const given of typeof value === "string" ? [value] : Array.isArray(value) ? value : []) {
      for (let last = 0; last < extra.length; last++) {
        const joined = [given, ...extra.slice(0, last + 1)].join(" ");
        if (!bases.some((base) => isThere(base === "" ? joined : `${base}/${joined}`))) continue;
        throw new UsageError(
          `--${key} ${JSON.stringify(joined)}: split at its spaces into ${last + 2} arguments: ` +
            `quote it (--${key} "$P")`,
        );
      }
    }
  }
}

/**
 * Throws {@linkcode UsageError} for free text the shell split at its spaces
 * (`--notes hello world` unquoted): `stray` positionals more than the command
 * takes, the first of them straight after a `text` option's value. Without
 * this it was "unexpected argument" for its second word, which does not say
 * to quote it.
 *
 * @example
 * ```ts
 * import { parseCommandArgs } from "./command.ts";
 * import { refuseSplitText } from "./stray_arguments.ts";
 * const parsed = parseCommandArgs(["D", "--notes", "all", "done"], {
 *   notes: { type: "string", text: true },
 * });
 * refuseSplitText(parsed, 1); // throws UsageError: --notes: its text was split … (--notes 'all done')
 * ```
 */
export function refuseSplitText(parsed: Parsed, stray: number): void {
  const split = parsed.afterValue?.find((t) => t.kind === "text" && t.words.length >= stray);
  if (split === undefined) return;
  const value = parsed.values[split.option.slice(2)];
  if (typeof value !== "string") return;
  // A second folder or file after the text (`emit D --notes ok D2`) is a target too many, not text.
  if (split.words.slice(0, stray).every(isThere)) return;
  const words = [value, ...split.words.slice(0, stray)];
  throw new UsageError(
    `${split.option}: its text was split at its spaces into ${words.length} arguments: ` +
      `quote it (${split.option} ${shellWord(words.join(" "))})`,
  );
}

/**
 * Whether the shell finds a command named `name` (`command -v`): asked through `sh`, as runrec
 * may not read PATH. Without `sh` (Windows) every name is taken as found.
 */
function onPath(name: string): boolean {
  try {
    const args = ["-c", 'command -v "$1" >/dev/null', "sh", name];
    return new Deno.Command("sh", { args, stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return true;
  }
}

/** Whether `path` (from the current folder) is a file someone may run. */
function isProgram(path: string): boolean {
  try {
    const info = Deno.statSync(path);
    return info.isFile && ((info.mode ?? 0) & 0o111) !== 0;
  } catch {
    return false;
  }
}

/**
 * What `stray` positionals more than the command takes follow, when they
 * came straight after an option's value: a one-value option's
 * (`--duration 5 min`), or a path option's where a word names no file
 * (`--input a.md b.md`, b.md not there): said, with the value they may
 * belong to, else `""`.
 *
 * @example
 * ```ts
 * import { parseCommandArgs } from "./command.ts";
 * import { strayHint } from "./stray_arguments.ts";
 * const parsed = parseCommandArgs(["D", "--duration", "5", "min"], { duration: { type: "string" } });
 * strayHint(parsed, 1); // " (it follows --duration 5: an option's value is one argument: …)"
 * ```
 */
export function strayHint(parsed: Parsed, stray: number): string {
  const after = parsed.afterValue?.find((t) => t.kind !== "text" && t.words.length >= stray);
  // Folders or files (`emit D1 --agent A D2`) are targets too many, whatever they follow.
  if (after?.value === undefined || after.words.slice(0, stray).every(isThere)) return "";
  const follows = `it follows ${after.option} ${shellWord(after.value)}`;
  if (after.kind === "one") {
    return ` (${follows}: an option's value is one argument: quote it if it holds spaces)`;
  }
  // A path option: all the words naming files is refuseManyPaths'; one that names none is a
  // second path (misspelt, or an output not written yet) or a path split at its spaces.
  const word = after.words[0];
  return ` (${follows}: a second path needs its own ${after.option} (${after.option} ` +
    `${shellWord(word)}); a path holding spaces needs quotes (${after.option} ` +
    `${shellWord(`${after.value} ${after.words.slice(0, stray).join(" ")}`)}))`;
}

/**
 * The folders an option's relative path may be read from: the current one
 * (`""`) and those the `named` positionals give (a deliverable folder, or a
 * token's: `<del-dir>/.runrec/pending/<id>.json`).
 */
function basesOf(named: readonly string[]): string[] {
  return ["", ...named.map((n) => n.replace(/\/\.runrec\/pending\/[^/]*$/, ""))];
}

/**
 * Throws {@linkcode UsageError} for more paths given to an option that takes
 * one each (`--output a.md b.md`, `--output *.md`): `stray` positionals more
 * than the command takes, straight after a repeatable option's value, each
 * naming a file from one of `bases`. Without this it was "unexpected
 * argument" for the second path, which does not say to repeat the option.
 * With `at` (exec's CMD), only an option whose value CMD followed straight:
 * `exec --input a.md D CMD` gave the folder D as the second path.
 */
function refuseManyPaths(
  parsed: Parsed,
  stray: number,
  bases: readonly string[],
  noCommand?: string,
  at?: number,
): void {
  // Another option between the folder and CMD ends the value's words before CMD's place.
  const many = parsed.afterValue?.find((t) =>
    t.kind === "multiple" && t.words.length >= stray && (at === undefined || t.at === at)
  );
  if (many === undefined) return;
  const words = many.words.slice(0, stray);
  const named = (word: string) =>
    bases.some((base) => isThere(base === "" ? word : `${base}/${word}`));
  if (noCommand === undefined && !words.every(named)) return;
  const taken = noCommand === undefined
    ? ""
    : `; ${shellWord(noCommand)} was taken as CMD and names no command: nothing run, nothing ` +
      "recorded";
  const list = parsed.values[many.option.slice(2)];
  const first = Array.isArray(list) ? list.findLast((v) => !words.includes(v)) : undefined;
  const paths = [...(first === undefined ? [] : [first]), ...words];
  const shown = paths.slice(0, 3).map((p) => `${many.option} ${shellWord(p)}`).join(" ");
  const more = paths.length > 3 ? ` … (${paths.length} in all)` : "";
  throw new UsageError(
    `${many.option}: takes one path, and ${words.length} more followed it: give each its own ` +
      `(${shown}${more}), or list them in a file (${many.option.replace(/s?$/, "s")}-from F)` +
      taken,
  );
}
