/**
 * Integrity checks of record files: every line's checksum, the header,
 * duplicate RunIDs, and K-APPEND-1 against git history (every later version
 * of the file has every earlier version as a byte-for-byte prefix).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { dirname, join, relative, resolve, sep } from "./path.ts";
import { InputError } from "./errors.ts";
import {
  type CommitInfo,
  fileAtCommit,
  firstParentCommits,
  gitTopLevel,
  resolveCommit,
  runGit,
} from "./git.ts";
import { type LineProblem, readRecords } from "./reader.ts";

/** Which check a problem comes from. */
export type IntegrityCheck =
  | "header" // the first line is not the v1.0 header, or the file is empty
  | "checksum" // a line whose RecordChecksum does not match it
  | "torn" // a record cut short by an interrupted write (warning)
  | "record" // checksum fine, but the record breaks the schema
  | "duplicate" // a RunID already used on an earlier line
  | "format"; // CR LF, NUL bytes, blank line, no final newline (warnings)

/** One problem {@linkcode verifyRecordFile} found. */
export interface IntegrityProblem {
  /** 1-based line number. */
  line: number;
  /** `error`s fail `verify`; `warning`s are reported only. */
  severity: "error" | "warning";
  check: IntegrityCheck;
  /** The column at fault, or `""` for the line as a whole. */
  field: string;
  /** What is wrong, in words; starts with the field or "line" when there is one. */
  message: string;
}

/** Totals of {@linkcode verifyRecordFile}. */
export interface IntegrityResult {
  /** Lines that hold a valid record. */
  records: number;
  errors: number;
  warnings: number;
  /** Lines whose RunID was already used on an earlier line. */
  duplicates: number;
}

const NEWLINE = 10;

const CODE_TO_CHECK: Record<LineProblem["code"], IntegrityCheck> = {
  header: "header",
  torn: "torn",
  corrupt: "checksum",
  invalid: "record",
  crlf: "format",
  nul: "format",
  blank: "format",
  "no-newline": "format",
};

/**
 * A set of RunIDs in about 10 bytes each: it keeps a 53-bit hash, not the
 * string, so that four million records fit in tens of megabytes. A hit is
 * only a candidate duplicate; callers confirm it on the real strings.
 */
class RunIdHashSet {
  #slots = new Float64Array(1 << 12);
  #count = 0;

  /** Adds `id`; returns `true` when its hash was already present. */
  add(id: string): boolean {
    let h1 = 0x811c9dc5;
    let h2 = 0x9747b28c;
    for (let i = 0; i < id.length; i++) {
      const c = id.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 16777619);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
      h2 ^= h2 >>> 15;
    }
    h2 = Math.imul(h2 ^ (h2 >>> 16), 0x85ebca6b);
    h2 ^= h2 >>> 13;
    // 32 bits of one hash and 21 of the other: exact in a float64, never 0.
    const key = (h1 >>> 0) * 2097152 + ((h2 >>> 0) & 0x1fffff) + 1;
    if ((this.#count + 1) * 4 > this.#slots.length * 3) this.#grow();
    const hit = this.#insert(key);
    if (!hit) this.#count++;
    return hit;
  }

  /** Slot to start probing at: from both parts of the key, so any table size spreads well. */
  static #spread(key: number): number {
    const high = Math.floor((key - 1) / 2097152);
    const low = (key - 1) % 2097152;
    return (high ^ Math.imul(low, 0x9e3779b1)) >>> 0;
  }

  #insert(key: number): boolean {
    const mask = this.#slots.length - 1;
    let i = RunIdHashSet.#spread(key) & mask;
    while (true) {
      const slot = this.#slots[i];
      if (slot === 0) {
        this.#slots[i] = key;
        return false;
      }
      if (slot === key) return true;
      i = (i + 1) & mask;
    }
  }

  #grow(): void {
    const old = this.#slots;
    this.#slots = new Float64Array(old.length * 2);
    for (const key of old) if (key !== 0) this.#insert(key);
  }
}

/**
 * Checks one record file, streaming it: the header, every line's checksum,
 * the schema of every record, and duplicate RunIDs (naming both lines, and
 * saying so when the two lines are identical, as a union merge of the same
 * record leaves them). Each problem goes to `onProblem` as it is found;
 * duplicates and re-examined torn lines come after the first pass.
 *
 * A line the reader calls torn but that ends in a complete 64-hex checksum
 * is reported as a checksum error: a cut write cannot end that way, a
 * flipped comma or quote can. Memory stays flat but for the RunID hashes.
 *
 * @example
 * ```ts
 * import { verifyRecordFile } from "./verify.ts";
 * const result = await verifyRecordFile("RunRecords.csv", (p) =>
 *   console.log(`RunRecords.csv:${p.line}: ${p.message}`));
 * if (result.errors > 0) Deno.exitCode = 1;
 * ```
 */
export async function verifyRecordFile(
  path: string,
  onProblem: (problem: IntegrityProblem) => void = () => {},
): Promise<IntegrityResult> {
  const result: IntegrityResult = { records: 0, errors: 0, warnings: 0, duplicates: 0 };
  const report = (problem: IntegrityProblem) => {
    if (problem.severity === "error") result.errors++;
    else result.warnings++;
    onProblem(problem);
  };
  const ids = new RunIdHashSet();
  const candidates = new Set<string>();
  let sawLine = false;
  for await (const event of readRecords(path)) {
    sawLine = true;
    if (event.kind === "record") {
      result.records++;
      const id = event.record.RunID;
      if (ids.add(id)) candidates.add(id);
      continue;
    }
    report({
      line: event.line,
      severity: event.severity,
      check: CODE_TO_CHECK[event.code],
      field: event.field,
      message: describeLineProblem(event),
    });
  }
  // A header alone is a file with no records yet, as validate says; no byte at all is not.
  if (!sawLine && (await Deno.stat(path)).size === 0) {
    report({
      line: 1,
      severity: "warning",
      check: "header",
      field: "",
      message: "file is empty (no header, no records)",
    });
  }
  if (candidates.size > 0) {
    for (const problem of await confirmDuplicates(path, candidates)) {
      result.duplicates++;
      report(problem);
    }
  }
  return result;
}

/**
 * The message of a reader problem as one readable clause: the reader's
 * messages that begin with a verb ("is not the v1.0 header", "is not valid
 * UTF-8") get the subject they lack.
 *
 * @example
 * ```ts
 * import { describeLineProblem } from "./verify.ts";
 * describeLineProblem({ code: "header", message: "is not the v1.0 header: \"x\"" });
 * // 'header is not the v1.0 header: "x"'
 * ```
 */
export function describeLineProblem(problem: { code: string; message: string }): string {
  if (!/^(is|has) /.test(problem.message)) return problem.message;
  return `${problem.code === "header" ? "header" : "line"} ${problem.message}`;
}

/** Reads the file again for the lines whose RunID may repeat; reports the real repeats. */
async function confirmDuplicates(
  path: string,
  candidates: Set<string>,
): Promise<IntegrityProblem[]> {
  const seen = new Map<string, { line: number; checksum: string }>();
  const problems: IntegrityProblem[] = [];
  for await (const event of readRecords(path)) {
    if (event.kind !== "record" || !candidates.has(event.record.RunID)) continue;
    const { RunID: id, RecordChecksum: checksum } = event.record;
    const first = seen.get(id);
    if (!first) {
      seen.set(id, { line: event.line, checksum });
      continue;
    }
    problems.push({
      line: event.line,
      severity: "error",
      check: "duplicate",
      field: "RunID",
      message: `RunID ${id} is already on line ${first.line}` +
        (first.checksum === checksum
          ? " (identical line: the same record was appended or merged twice)"
          : " (a different record)"),
    });
  }
  return problems;
}

/** Where K-APPEND-1 first fails. */
export interface HistoryFailure {
  /** The commit whose version breaks the rule, or `"working tree"`. */
  commit: string;
  /** Subject line of that commit (`""` for the working tree). */
  subject: string;
  /** The version it was compared with: a commit id. */
  previous: string;
  /** First line (1-based) where the two versions differ. */
  line: number;
  /** What happened, in words. */
  message: string;
}

/** What {@linkcode verifyHistory} found for one file. */
export interface HistoryResult {
  /** The revision as given. */
  since: string;
  /** The commit it names. */
  sinceCommit: string;
  /** Path of the file relative to the top of the work tree, `/`-separated. */
  gitPath: string;
  /** Whether the file existed at `since`. */
  existedAtSince: boolean;
  /** Commits in `since..HEAD` (first-parent) that changed the file, oldest first. */
  commits: string[];
  /** Versions compared: the one at `since`, each commit's, the working tree's. */
  versionsCompared: number;
  /** `undefined` when every later version extends every earlier one. */
  failure?: HistoryFailure;
  /** Things worth knowing that are not failures (union merges accepted, file new since REV). */
  notes: string[];
}

/** One version of the file in the chain being compared. */
interface Version {
  label: string;
  bytes: Uint8Array;
}

/**
 * The record files (`RunRecords.csv`) that revision `since` holds at or
 * beneath `target` (a file or a folder), as absolute paths of the work tree:
 * the ones a check of K-APPEND-1 must still find. A record file the revision
 * has and the work tree lacks was deleted or moved, and every record in it
 * with it.
 *
 * Throws {@linkcode InputError} when `target` is not in a git work tree or
 * `since` names no commit.
 *
 * @example
 * ```ts
 * import { recordFilesAtRevision } from "./verify.ts";
 * const paths = await recordFilesAtRevision("examples", "HEAD~1");
 * ```
 */
export async function recordFilesAtRevision(target: string, since: string): Promise<string[]> {
  const absolute = resolve(target);
  const folder = (await Deno.stat(absolute)).isDirectory ? absolute : dirname(absolute);
  const top = await gitTopLevel(folder);
  if (!top) throw new InputError(`${target}: not in a git work tree (--since needs git history)`);
  const sinceCommit = await resolveCommit(since, top);
  if (!sinceCommit) {
    throw new InputError(`--since: unknown revision ${JSON.stringify(since)} in ${top}`);
  }
  const realTop = await Deno.realPath(top);
  const gitPath = relative(realTop, await Deno.realPath(absolute)).split(sep).join("/");
  const { code, stdout, stderr } = await runGit(
    ["ls-tree", "-r", "-z", "--name-only", "--full-tree", sinceCommit, "--", gitPath || "."],
    top,
  );
  if (code !== 0) throw new Error(`git ls-tree failed: ${stderr.split("\n")[0]}`);
  return new TextDecoder().decode(stdout).split("\0")
    .filter((path) => path === "RunRecords.csv" || path.endsWith("/RunRecords.csv"))
    .map((path) => join(realTop, ...path.split("/")));
}

/**
 * Checks K-APPEND-1 for one record file against git: the version at `since`,
 * the version of every first-parent commit in `since..HEAD` that changed the
 * file, and the working tree's, each must have the one before as a
 * byte-for-byte prefix. When the file did not exist at `since`, the chain
 * starts from its first version. A merge commit whose version is not an
 * extension of its first parent's is still accepted when it is what
 * `merge=union` makes: every line of the first parent's version in order,
 * and every other line a record with a valid checksum taken from another
 * parent's version (a note says so).
 *
 * Throws {@linkcode InputError} when `since` names no commit or the file is
 * not in a git work tree, and `GitUnavailableError` when git cannot run.
 *
 * @example
 * ```ts
 * import { verifyHistory } from "./verify.ts";
 * const result = await verifyHistory("DEL-01-02_X/RunRecords.csv", "origin/main");
 * if (result.failure) console.log(result.failure.commit, result.failure.line);
 * ```
 */
export async function verifyHistory(path: string, since: string): Promise<HistoryResult> {
  const absolute = resolve(path);
  const top = await gitTopLevel(dirname(absolute));
  if (!top) throw new InputError(`${path}: not in a git work tree (--since needs git history)`);
  const gitPath = relative(await Deno.realPath(top), await Deno.realPath(absolute))
    .split(sep).join("/");
  if (gitPath.startsWith("../") || gitPath === "..") {
    throw new InputError(`${path}: resolves outside the git work tree ${top}`);
  }
  const sinceCommit = await resolveCommit(since, top);
  if (!sinceCommit) {
    throw new InputError(`--since: unknown revision ${JSON.stringify(since)} in ${top}`);
  }
  const result: HistoryResult = {
    since,
    sinceCommit,
    gitPath,
    existedAtSince: false,
    commits: [],
    versionsCompared: 0,
    notes: [],
  };
  let previous: Version | undefined;
  const atSince = await fileAtCommit(sinceCommit, gitPath, top);
  if (atSince) {
    result.existedAtSince = true;
    previous = { label: sinceCommit, bytes: atSince };
    result.versionsCompared++;
  }
  const commits = await firstParentCommits(sinceCommit, gitPath, top);
  for (const commit of commits) {
    result.commits.push(commit.id);
    const bytes = await fileAtCommit(commit.id, gitPath, top);
    if (!bytes) {
      if (previous) {
        result.failure = failure(commit, previous, 1, "deletes the file");
        return result;
      }
      continue;
    }
    result.versionsCompared++;
    if (!previous) {
      if (!result.existedAtSince) {
        result.notes.push(
          `not in ${since}; checked from its first version, in commit ${short(commit.id)}`,
        );
      }
      previous = { label: commit.id, bytes };
      continue;
    }
    const problem = prefixProblem(previous.bytes, bytes);
    if (problem) {
      const merged = commit.parents.length > 1
        ? await unionMergeNote(previous.bytes, bytes, commit, gitPath, top)
        : undefined;
      if (!merged) {
        result.failure = failure(commit, previous, problem.line, problem.message);
        return result;
      }
      result.notes.push(merged);
    }
    previous = { label: commit.id, bytes };
  }
  let working: Uint8Array | undefined;
  try {
    working = await Deno.readFile(absolute);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  if (!previous) {
    result.notes.push(`not in git history since ${since}; nothing to compare`);
    return result;
  }
  const workingTree: CommitInfo = { id: "working tree", parents: [], subject: "" };
  if (!working) {
    result.failure = failure(workingTree, previous, 1, "the file is deleted in the working tree");
    return result;
  }
  result.versionsCompared++;
  const problem = prefixProblem(previous.bytes, working);
  if (problem) result.failure = failure(workingTree, previous, problem.line, problem.message);
  return result;
}

function failure(
  commit: CommitInfo,
  previous: Version,
  line: number,
  message: string,
): HistoryFailure {
  return { commit: commit.id, subject: commit.subject, previous: previous.label, line, message };
}

/** Seven hex digits of a commit id, as git abbreviates. */
function short(id: string): string {
  return /^[0-9a-f]{40,}$/.test(id) ? id.slice(0, 7) : id;
}

/**
 * Why `later` does not start with `earlier`, with the first differing line,
 * or `undefined` when it does.
 */
function prefixProblem(
  earlier: Uint8Array,
  later: Uint8Array,
): { line: number; message: string } | undefined {
  const n = Math.min(earlier.length, later.length);
  let i = 0;
  while (i < n && earlier[i] === later[i]) i++;
  if (i === earlier.length) return undefined;
  let line = 1;
  for (let j = 0; j < i; j++) if (earlier[j] === NEWLINE) line++;
  if (i === later.length) {
    return {
      line,
      message: `line ${line}: the file is cut to ${later.length} bytes (was ${earlier.length})`,
    };
  }
  return { line, message: `line ${line} differs (byte ${i + 1} of the file)` };
}

/**
 * The note for a merge that `merge=union` explains, or `undefined` when it
 * does not explain it: the first parent's lines in order, every other line a
 * checksummed record found in another parent's version.
 */
async function unionMergeNote(
  firstParent: Uint8Array,
  merged: Uint8Array,
  commit: CommitInfo,
  gitPath: string,
  top: string,
): Promise<string | undefined> {
  const ours = splitLines(firstParent);
  const theirs = new Set<string>();
  for (const parent of commit.parents.slice(1)) {
    const bytes = await fileAtCommit(parent, gitPath, top);
    if (bytes) { for (const line of splitLines(bytes)) theirs.add(line); }
  }
  let j = 0;
  let added = 0;
  for (const line of splitLines(merged)) {
    if (j < ours.length && line === ours[j]) {
      j++;
      continue;
    }
    if (!theirs.has(line) || !hasValidChecksum(line)) return undefined;
    added++;
  }
  if (j < ours.length) return undefined;
  return `merge ${short(commit.id)} placed ${added} record line(s) from its other parent ` +
    `among earlier lines (merge=union); accepted`;
}

/** Lines as latin1 strings: one char per byte, so equality is byte equality. */
function splitLines(bytes: Uint8Array): string[] {
  const lines = new TextDecoder("latin1").decode(bytes).split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

function hasValidChecksum(latin1Line: string): boolean {
  const line = latin1Line.endsWith("\r") ? latin1Line.slice(0, -1) : latin1Line;
  const comma = line.lastIndexOf(",");
  if (comma < 0) return false;
  const body = Uint8Array.from(line.slice(0, comma), (c) => c.charCodeAt(0));
  return createHash("sha256").update(body).digest("hex") === line.slice(comma + 1);
}
