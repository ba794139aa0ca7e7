/**
 * The first-parent history of a repository's record files as one streamed
 * `git log -p --raw`: per commit, each record file added, deleted, renamed
 * or changed, with whether its diff proves an append (lines added only at
 * the end). Its cost follows the bytes the history changed, never the size
 * of each version.
 *
 * @module
 */
import { gitLines } from "./git.ts";

/** One record file a commit changed, relative to its first parent. */
export interface FileChange {
  /** git's status letter: `A` added, `D` deleted, `M` modified, `R` renamed, `T` type changed. */
  status: string;
  /** Path after the commit (before it for `D`), relative to the top, `/`-separated. */
  path: string;
  /** For `R`: the path before. */
  from?: string;
  /** Blob id before (all zeros for `A`). */
  oldBlob: string;
  /** Blob id after (all zeros for `D`). */
  newBlob: string;
  /** `true` when the new version is a symbolic link (git mode 120000): its blob is the link's target. */
  link?: boolean;
  /**
   * Whether the diff proves the new version is the old one with lines added
   * at its end (or the same bytes). `false` says only "not proven": the
   * bytes decide then.
   */
  appended: boolean;
}

/** One commit of {@linkcode recordFileLog}. */
export interface LoggedCommit {
  /** Full commit id. */
  id: string;
  /** Full ids of its parents, first parent first. */
  parents: string[];
  /** First line of its message. */
  subject: string;
  /** The record files it changed, relative to its first parent (none for a merge that kept them). */
  changes: FileChange[];
}

/** Where the diff of one file stands while its lines stream past. */
interface DiffState {
  change: FileChange;
  hunks: number;
  /** Lines were added (or the old last line removed): no old line may follow. */
  changed: boolean;
  /**
   * The one removal an append allows: the old last line, which had no
   * `\n`, removed and added again with one. 1: seen, 2: its "no newline"
   * mark seen, 3: added again.
   */
  lastLine: 0 | 1 | 2 | 3;
  removed?: Uint8Array;
  broken: boolean;
}

const PLUS = 0x2b;
const MINUS = 0x2d;
const SPACE = 0x20;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const AT = 0x40;
const COMMIT_MARK = 0x01;
/** git's mode of a symbolic link. */
const SYMLINK_MODE = "120000";

const decoder = new TextDecoder();

/** The path of a `--raw` line, unquoted when git quoted it (a `"`, `\`, tab or control byte in it). */
function rawPath(field: string): string {
  if (!field.startsWith('"')) return field;
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  const escapes: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13 };
  for (let i = 1; i < field.length - 1; i++) {
    const c = field[i];
    if (c !== "\\") {
      bytes.push(...encoder.encode(c));
      continue;
    }
    const next = field[++i];
    if (/[0-7]/.test(next)) {
      bytes.push(parseInt(field.slice(i, i + 3), 8));
      i += 2;
    } else bytes.push(escapes[next] ?? next.charCodeAt(0));
  }
  return decoder.decode(new Uint8Array(bytes));
}

/** `:100644 100644 <old> <new> M\tpath` (or `R086\tfrom\tto`) as a change, not yet proven. */
function parseRaw(line: string): FileChange | undefined {
  const tab = line.indexOf("\t");
  const meta = line.slice(1, tab).split(" ");
  const paths = line.slice(tab + 1).split("\t").map(rawPath);
  const [, newMode, oldBlob, newBlob, status] = meta;
  if (!status) return undefined;
  const letter = status.charAt(0);
  // The same blob before and after (a rename, a mode change): the bytes did not change.
  const appended = oldBlob === newBlob && newMode !== SYMLINK_MODE;
  const link = newMode === SYMLINK_MODE ? { link: true } : {};
  return letter === "R" || letter === "C"
    ? { status: letter, from: paths[0], path: paths[1], oldBlob, newBlob, appended, ...link }
    : { status: letter, path: paths[0], oldBlob, newBlob, appended, ...link };
}

function startsWith(line: Uint8Array, text: string): boolean {
  if (line.length < text.length) return false;
  for (let i = 0; i < text.length; i++) if (line[i] !== text.charCodeAt(i)) return false;
  return true;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Takes one line of a hunk (`+`, `-`, ` `, `\`) into the state of its file's diff. */
function hunkLine(state: DiffState, line: Uint8Array): void {
  const first = line.length === 0 ? SPACE : line[0];
  if (first === BACKSLASH) {
    // "\ No newline at end of file": after the old last line removed, that line had none.
    if (state.lastLine === 1) state.lastLine = 2;
    return;
  }
  if (state.lastLine === 1) state.broken = true; // a removal that is not of an unterminated last line
  if (first === PLUS) {
    if (state.lastLine === 2) {
      // The old last line again, now ending in `\n`: the bytes only grew.
      if (!sameBytes(state.removed!, line.subarray(1))) state.broken = true;
      state.lastLine = 3;
    }
    state.changed = true;
  } else if (first === MINUS) {
    if (state.changed || state.lastLine !== 0) state.broken = true;
    state.removed = line.slice(1);
    state.lastLine = 1;
    state.changed = true;
  } else if (state.changed) {
    // An old line after the change: the change was not at the end.
    state.broken = true;
  }
}

/** Settles whether a file's diff proved an append. */
function settle(state: DiffState | undefined): void {
  if (!state) return;
  const change = state.change;
  change.appended = change.oldBlob === change.newBlob || state.hunks === 1 && !state.broken &&
      (state.lastLine === 0 || state.lastLine === 3);
}

/**
 * Streams the first-parent history `base..tip` (all of `tip`'s first-parent
 * history when `base` is `undefined`), leaving out the commits `exclude`
 * contain, of the record files matching `pathspec`, oldest commit first, each merge diffed against its first
 * parent. Every merge of the chain is yielded, one that changed no record file
 * with no changes: it may still have dropped the lines its other parent added. One `git log` runs for the whole range; a diff is proven an
 * append when its one hunk has no old line after its first added line and
 * nothing removed but an unterminated last line given its `\n` (with one
 * line of context, a change before the end would show an old line after
 * it). Renames are git's (`-M`).
 *
 * @example
 * ```ts
 * import { recordFileLog } from "./history_log.ts";
 * for await (const commit of recordFileLog(".", "HEAD~10", ":(glob)**\/RunRecords.csv")) {
 *   for (const change of commit.changes) console.log(commit.id, change.status, change.path);
 * }
 * ```
 */
export async function* recordFileLog(
  top: string,
  base: string | undefined,
  pathspec: string,
  tip = "HEAD",
  exclude: string[] = [],
): AsyncGenerator<LoggedCommit> {
  // The user's settings that would change this output are overridden by gitLines (GIT_SETTINGS).
  const args = [
    "log",
    "--first-parent",
    "--diff-merges=first-parent",
    "--reverse",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--no-relative",
    "--text",
    "--raw",
    "--no-abbrev",
    "--full-index",
    "-p",
    "--unified=1",
    "-M",
    // Every commit of the chain, so that a merge that kept the first parent's record files
    // (`-s ours`) is seen too: it may have dropped what the merged branch appended.
    "--sparse",
    "-O/dev/null",
    "--format=%x01%H%x01%P%x01%s",
    tip,
    ...[base, ...exclude].filter((c) => c !== undefined).map((c) => `^${c}`),
    "--",
    pathspec,
  ];
  let commit: LoggedCommit | undefined;
  let state: DiffState | undefined;
  // Diffs follow the raw lines in the same order; each is matched by its `index old..new` line.
  let unmatched: FileChange[] = [];
  for await (const line of gitLines(args, top)) {
    const first = line[0];
    if (first === COMMIT_MARK) {
      settle(state);
      state = undefined;
      if (commit && kept(commit)) yield commit;
      const [id, parents, ...subject] = decoder.decode(line.subarray(1)).split("\x01");
      commit = {
        id,
        parents: parents === "" ? [] : parents.split(" "),
        subject: subject.join("\x01"),
        changes: [],
      };
      unmatched = [];
      continue;
    }
    if (!commit) continue;
    if (first === COLON && !state) {
      const change = parseRaw(decoder.decode(line));
      if (change) {
        commit.changes.push(change);
        unmatched.push(change);
      }
      continue;
    }
    if (startsWith(line, "diff --git ")) {
      settle(state);
      state = undefined;
      continue;
    }
    if (state && state.hunks > 0) {
      if (first === AT && line[1] === AT) state.hunks++;
      else hunkLine(state, line);
      continue;
    }
    if (startsWith(line, "index ")) {
      const [oldBlob, newBlob] = decoder.decode(line.subarray(6)).split(" ")[0].split("..");
      const at = unmatched.findIndex((c) => c.oldBlob === oldBlob && c.newBlob === newBlob);
      if (at >= 0) {
        const [change] = unmatched.splice(at, 1);
        state = { change, hunks: 0, changed: false, lastLine: 0, broken: false };
      }
      continue;
    }
    if (state && first === AT && line[1] === AT) state.hunks++;
  }
  settle(state);
  if (commit && kept(commit)) yield commit;
}

/** Whether a commit of the `--sparse` log is yielded: one that changed a record file, or a merge. */
function kept(commit: LoggedCommit): boolean {
  return commit.changes.length > 0 || commit.parents.length > 1;
}
