/**
 * `runrec agents`: puts the "record the run" block into the host's agent
 * instruction files, checks it is there and current, and takes it out. An
 * edit changes one run of lines and no other byte: the file's line endings
 * (CRLF stays CRLF), a missing final newline, front matter and a byte order
 * mark all stay as they were, and install then remove gives the original
 * bytes back.
 *
 * @module
 */
import { basename, dirname, join } from "./path.ts";
import { folderEntries } from "./deliverable.ts";
import {
  AGENT_FILE_NAME,
  type AgentFile,
  type FileLine,
  parseAgentFile,
  PROTOCOL_BEGIN,
  PROTOCOL_END,
  writeScopeKind,
} from "./agent_file.ts";
import {
  BLOCK_BEGIN_PREFIX,
  BLOCK_END,
  BLOCK_VERSION,
  blockLines,
  bodyHash,
  parseBeginLine,
} from "./agent_block.ts";
import { failureReason, InputError } from "./errors.ts";
import { BUILTIN_PROFILES, profileFromText } from "./profiles.ts";
import { checkField, FIELDS } from "./schema.ts";

const AGENT_NAME = FIELDS.find((f) => f.name === "AgentName")!;

/** What `agents` found in, or did to, one agent file. */
export type AgentFileStatus =
  /** Not an agent that runs on a deliverable: left alone. */
  | "skipped"
  /** The file cannot be edited safely (`reason` names the line): left alone. */
  | "problem"
  /** The block is there and current. */
  | "current"
  /** No block. */
  | "missing"
  /** A block that an older runrec wrote, or written for an older table of the agent. */
  | "outdated"
  /** A block whose text no longer matches the hash in its begin marker. */
  | "edited"
  /** A block in a format newer than this runrec writes: left alone (never downgraded). */
  | "newer"
  /** A block that is not the last thing in the PROTOCOL section (or is outside it). */
  | "misplaced";

/** One agent file: what it holds now, and its text after the command (when it changes). */
export interface AgentFileReport {
  /** The file's path, as the agents folder was given. */
  path: string;
  /** The agent's name. */
  name: string;
  /** The state of its block before the command. */
  status: AgentFileStatus;
  /** Why it was skipped, or what the problem is. */
  reason?: string;
  /** A skipped file that holds a runrec block all the same (it should not): the block's line. */
  strayBlock?: number;
  /** The file's text now. */
  before: string;
  /** Its text after the command; `undefined` when the command leaves it unchanged. */
  after?: string;
}

/** Where a block sits in a file. */
interface BlockSpan {
  begin: number;
  end: number;
}

/** Why a file gets no block, or `undefined` when it should have one. */
function skipReason(file: AgentFile): string | undefined {
  if (file.agentType !== "2") {
    return file.agentType === undefined
      ? "no AGENT_TYPE line or row (a Type 2 agent's file has a line AGENT_TYPE: 2, or the " +
        "row | **AGENT_TYPE** | TYPE 2 | in its table)"
      : `AGENT_TYPE ${file.agentType}: only Type 2 agents run on a deliverable`;
  }
  const scope = writeScopeKind(file.table.WRITE_SCOPE);
  // PREPARATION's scope is the whole workspace: it creates the deliverable folder.
  if (scope === "deliverable-local" || Object.hasOwn(BUILTIN_PROFILES, file.name)) return undefined;
  return scope === undefined
    ? "WRITE_SCOPE not found: not judged (a deliverable agent's table has the row " +
      "| **WRITE_SCOPE** | deliverable-local |)"
    : `WRITE_SCOPE ${scope}: writes no deliverable folder`;
}

/** Whether a line is one of the block's marker lines. */
function isBlockMarker(text: string): boolean {
  return text.trim().startsWith(BLOCK_BEGIN_PREFIX.trim()) || text.trim() === BLOCK_END;
}

/** The block in a file, or a problem naming the line; `{}` when there is none. */
function findBlock(lines: FileLine[]): { span?: BlockSpan; problem?: string } {
  const begins: number[] = [];
  const ends: number[] = [];
  lines.forEach((line, i) => {
    if (line.quoted) return;
    const text = line.text.trim();
    if (text.startsWith(BLOCK_BEGIN_PREFIX.trim())) begins.push(i);
    else if (text === BLOCK_END) ends.push(i);
  });
  if (begins.length === 0 && ends.length === 0) return {};
  if (begins.length > 1) {
    return {
      problem: `line ${begins[1] + 1}: a second runrec block begins (the first at line ${
        begins[0] + 1
      })`,
    };
  }
  if (begins.length === 0) {
    return { problem: `line ${ends[0] + 1}: a runrec end marker without a begin marker` };
  }
  const [begin] = begins;
  if (ends.length === 0 || ends[0] < begin || ends.length > 1) {
    const stray = ends.find((e) => e < begin) ?? ends[1];
    return {
      problem: stray === undefined
        ? `line ${begin + 1}: the runrec block has no end marker (${BLOCK_END})`
        : `line ${stray + 1}: a runrec end marker outside the block (begun at line ${begin + 1})`,
    };
  }
  if (!parseBeginLine(lines[begin].text)) {
    return { problem: `line ${begin + 1}: the runrec begin marker is damaged` };
  }
  return { span: { begin, end: ends[0] } };
}

function newerReason(lines: FileLine[], span: BlockSpan): string {
  const version = parseBeginLine(lines[span.begin].text)!.version;
  return `written by a newer runrec (block format ${version}); this runrec writes ` +
    `${BLOCK_VERSION}: update runrec`;
}

/** Whether a block is inside the PROTOCOL section with nothing but blank lines after it. */
function lastInProtocol(file: AgentFile, span: BlockSpan): boolean {
  const { protocolBegin, protocolEnd, lines } = file;
  if (protocolBegin === undefined || protocolEnd === undefined) return false;
  if (span.begin < protocolBegin || span.end > protocolEnd) return false;
  return lines.slice(span.end + 1, protocolEnd).every((l) => l.text.trim() === "");
}

/** `v12` → 12. */
function formatNumber(version: string): number {
  return Number(version.slice(1));
}

function textOf(lines: readonly FileLine[]): string {
  return lines.map((l) => l.text + l.eol).join("");
}

/** The state of a file's block against the block it should have. */
function blockStatus(lines: FileLine[], span: BlockSpan, expected: string[]): AgentFileStatus {
  const marker = parseBeginLine(lines[span.begin].text)!;
  // A newer format may hash differently; a team's older runrec must not call it stale.
  if (formatNumber(marker.version) > formatNumber(BLOCK_VERSION)) return "newer";
  const body = lines.slice(span.begin + 1, span.end).map((l) => l.text);
  if (bodyHash(body) !== marker.hash) return "edited";
  const current = lines.slice(span.begin, span.end + 1).map((l) => l.text);
  const same = current.length === expected.length && current.every((t, i) => t === expected[i]);
  return same && marker.version === BLOCK_VERSION ? "current" : "outdated";
}

/**
 * Looks at one agent file: whether it should have a block, and the state of
 * the one it has. `after` is its text with the block installed (for
 * `install`), or `undefined` when that changes nothing.
 *
 * @example
 * ```ts
 * import { examineForInstall } from "./agents.ts";
 * const text = "AGENT_TYPE: 2\n| **WRITE_SCOPE** | deliverable-local |\n" +
 *   "[[BEGIN:PROTOCOL]]\n## PROTOCOL\n\n[[END:PROTOCOL]]\n";
 * const report = examineForInstall(text, "agents/AGENT_CHIRALITY_LENS.md");
 * report.status; // "missing"
 * report.after?.includes("runrec start"); // true
 * ```
 */
export function examineForInstall(text: string, path: string): AgentFileReport {
  const file = parseAgentFile(text, path);
  const report: AgentFileReport = { path, name: file.name, status: "missing", before: text };
  const skip = skipReason(file);
  if (skip) {
    // Left from when the file was in scope (its table changed since): say so, never guess.
    const at = file.lines.findIndex((l) => !l.quoted && isBlockMarker(l.text));
    return at < 0
      ? { ...report, status: "skipped", reason: skip }
      : { ...report, status: "skipped", reason: skip, strayBlock: at + 1 };
  }
  // The block's commands name the agent; a name runrec cannot record would fail every run.
  if (checkField(AGENT_NAME, file.name) !== undefined) {
    return {
      ...report,
      status: "problem",
      reason: `agent name ${JSON.stringify(file.name)} (from the file name) cannot be recorded: ` +
        "an AgentName is 1-64 of A-Z a-z 0-9 _ . -, first a letter or digit; rename the file",
    };
  }
  const { span, problem } = findBlock(file.lines);
  if (problem) return { ...report, status: "problem", reason: problem };
  if (file.secondProtocolBegin !== undefined && file.protocolBegin !== undefined) {
    // Which section's end is "the last step" would be a guess.
    return {
      ...report,
      status: "problem",
      reason: `line ${file.secondProtocolBegin + 1}: a second ${PROTOCOL_BEGIN} (the first at ` +
        `line ${file.protocolBegin + 1}); make it one PROTOCOL section`,
    };
  }
  const expected = blockLines(profileFromText(text, path));
  const lines = file.lines;
  if (span && !lastInProtocol(file, span)) {
    const status = blockStatus(lines, span, expected);
    if (status === "newer") return { ...report, status, reason: newerReason(lines, span) };
    // Taken out, then put back where install puts it: the protocol's last step.
    const again = examineForInstall(examineForRemove(text, path).after!, path);
    if (again.status === "problem") return { ...report, status: "problem", reason: again.reason };
    return { ...report, status: "misplaced", after: again.after };
  }
  if (span) {
    const status = blockStatus(lines, span, expected);
    if (status === "current") return { ...report, status };
    if (status === "newer") return { ...report, status, reason: newerReason(lines, span) };
    // Rewritten in place, in the line ending of its begin line; the end line keeps its own.
    const eol = lines[span.begin].eol;
    const block = expected.map((t, i) => ({
      text: t,
      eol: i === expected.length - 1 ? lines[span.end].eol : eol,
      quoted: false,
    }));
    const after = textOf([...lines.slice(0, span.begin), ...block, ...lines.slice(span.end + 1)]);
    return { ...report, status, after };
  }
  if (file.protocolBegin === undefined) {
    // A team's own file marks no section: say what marks it, and where the block goes.
    return {
      ...report,
      status: "problem",
      reason: `no ${PROTOCOL_BEGIN} line: mark the agent's protocol with a line ` +
        `${PROTOCOL_BEGIN} before it and ${PROTOCOL_END} after it (the block goes last in it)`,
    };
  }
  if (file.protocolEnd === undefined) {
    return {
      ...report,
      status: "problem",
      reason: `line ${file.protocolBegin + 1}: ${PROTOCOL_BEGIN} has no ${PROTOCOL_END} after it`,
    };
  }
  // At the end of the section: before the end marker that closes it, then one blank line.
  const at = file.protocolEnd;
  const eol = lines[at - 1].eol;
  const block = [...expected, ""].map((t) => ({ text: t, eol, quoted: false }));
  const after = textOf([...lines.slice(0, at), ...block, ...lines.slice(at)]);
  return { ...report, after };
}

/**
 * Looks at one agent file for `remove`: `after` is its text without the
 * block (and without the blank line `install` put after it).
 *
 * @example
 * ```ts
 * import { examineForInstall, examineForRemove } from "./agents.ts";
 * const text = "AGENT_TYPE: 2\n| **WRITE_SCOPE** | deliverable-local |\n" +
 *   "[[BEGIN:PROTOCOL]]\n## PROTOCOL\n\n[[END:PROTOCOL]]\n";
 * const installed = examineForInstall(text, "AGENT_CHIRALITY_LENS.md").after!;
 * examineForRemove(installed, "AGENT_CHIRALITY_LENS.md").after === text; // true
 * ```
 */
export function examineForRemove(text: string, path: string): AgentFileReport {
  const file = parseAgentFile(text, path);
  const report: AgentFileReport = { path, name: file.name, status: "missing", before: text };
  const { span, problem } = findBlock(file.lines);
  if (problem) return { ...report, status: "problem", reason: problem };
  if (!span) return report;
  const lines = file.lines;
  const next = lines[span.end + 1];
  const last = next !== undefined && next.text === "" ? span.end + 1 : span.end;
  const marker = parseBeginLine(lines[span.begin].text)!;
  const body = lines.slice(span.begin + 1, span.end).map((l) => l.text);
  return {
    ...report,
    status: bodyHash(body) === marker.hash ? "current" : "edited",
    after: textOf([...lines.slice(0, span.begin), ...lines.slice(last + 1)]),
  };
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * The agent files (`AGENT_*.md`) of a folder, in name order, with their text.
 *
 * @throws {InputError} when the folder cannot be read, or a file is not UTF-8.
 */
export function readAgentFiles(dir: string): { path: string; text: string }[] {
  let names: string[];
  try {
    names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => AGENT_FILE_NAME.test(n));
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound ? "no such folder" : failureReason(e as Error);
    // One agent file named (`agents check agents/AGENT_X.md`): the commands take its folder.
    const folder = e instanceof Deno.errors.NotADirectory && AGENT_FILE_NAME.test(basename(dir))
      ? `: name the folder that holds it, ${dirname(dir)}`
      : "";
    throw new InputError(`${dir}: cannot read the agents folder: ${why}${folder}`);
  }
  return names.sort().flatMap((name) => {
    const path = join(dir, name);
    let bytes: Uint8Array;
    try {
      if (!Deno.statSync(path).isFile) return [];
      bytes = Deno.readFileSync(path);
    } catch (e) {
      throw new InputError(`${path}: cannot read: ${failureReason(e as Error)}`, { path });
    }
    try {
      return [{ path, text: decoder.decode(bytes) }];
    } catch {
      throw new InputError(`${path}: not UTF-8 text`);
    }
  });
}

/**
 * The files of the agents folder `dir` named `AGENT_*.md` in other case
 * (`Agent_4_DOCUMENTS.md`), sorted: where case does not count (macOS,
 * Windows) a dispatcher opening `AGENT_4_DOCUMENTS.md` opens it, but runrec
 * neither installs its block there nor checks it. None when `dir` cannot be
 * listed ({@linkcode readAgentFiles} says so).
 *
 * @example
 * ```ts
 * import { otherCaseAgentFiles } from "./agents.ts";
 * otherCaseAgentFiles("agents"); // ["Agent_4_DOCUMENTS.md"] beside no AGENT_4_DOCUMENTS.md
 * ```
 */
export function otherCaseAgentFiles(dir: string): string[] {
  return [...folderEntries(dir).keys()]
    .filter((name) => !AGENT_FILE_NAME.test(name) && AGENT_FILE_NAME.test(otherCase(name)))
    .sort();
}

/** `name` with `AGENT_` and `.md` in the case of {@linkcode AGENT_FILE_NAME}. */
function otherCase(name: string): string {
  return name.replace(/^agent_/i, "AGENT_").replace(/\.md$/i, ".md");
}

/**
 * Replaces a file's text: written beside it, then renamed over it, so that a
 * crash leaves the old file or the new one, never half of one; a symlink's
 * target is the file replaced, and its permission bits are kept. Given
 * `expected` (the text the new one was made from), the file is read again
 * just before the rename and left alone when it no longer holds that text:
 * an edit made meanwhile (an editor's save, a `git pull`) is never discarded.
 *
 * @throws {InputError} when the file cannot be written, or changed meanwhile.
 *
 * @example
 * ```ts
 * import { replaceFileText } from "./agents.ts";
 * const path = Deno.makeTempFileSync({ suffix: ".md" });
 * Deno.writeTextFileSync(path, "old\n");
 * replaceFileText(path, "new\n", "old\n");
 * Deno.readTextFileSync(path); // "new\n"
 * ```
 */
export function replaceFileText(path: string, text: string, expected?: string): void {
  const real = Deno.realPathSync(path);
  const mode = Deno.statSync(real).mode;
  const temp = `${real}.runrec-${Deno.pid}.tmp`;
  let changed = false;
  try {
    Deno.writeTextFileSync(temp, text, mode === null ? {} : { mode: mode & 0o7777 });
    if (mode !== null) Deno.chmodSync(temp, mode & 0o7777);
    // Last look before the rename; a write in the instant between the two is not seen.
    changed = expected !== undefined && readText(real) !== expected;
    if (!changed) Deno.renameSync(temp, real);
  } catch (e) {
    removeQuietly(temp);
    throw new InputError(`${path}: cannot write: ${(e as Error).message.split("\n")[0]}`);
  }
  if (changed) {
    removeQuietly(temp);
    throw new InputError(`${path}: changed while runrec was editing it; left as it is`);
  }
}

function readText(path: string): string | undefined {
  try {
    return decoder.decode(Deno.readFileSync(path));
  } catch {
    return undefined; // unreadable or no longer UTF-8: changed
  }
}

function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path);
  } catch { /* never written */ }
}

/**
 * A unified diff of two texts of one file that differ in one run of lines
 * (which is all `agents` ever changes): one hunk, three lines of context.
 * Lines keep their CR, so `git apply` and `patch` take it as it is.
 *
 * @example
 * ```ts
 * import { unifiedDiff } from "./agents.ts";
 * unifiedDiff("AGENT_X.md", "a\nb\n", "a\nnew\nb\n");
 * // "--- AGENT_X.md\n+++ AGENT_X.md\n@@ -1,2 +1,3 @@\n a\n+new\n b\n"
 * ```
 */
export function unifiedDiff(path: string, before: string, after: string): string {
  const a = splitKeepingEnds(before);
  const b = splitKeepingEnds(after);
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (
    tail < a.length - head && tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  ) tail++;
  if (head === a.length && head === b.length) return "";
  const from = Math.max(0, head - 3);
  const aTo = Math.min(a.length, a.length - tail + 3);
  const bTo = Math.min(b.length, b.length - tail + 3);
  const range = (start: number, count: number) =>
    `${count === 0 ? start : start + 1}${count === 1 ? "" : `,${count}`}`;
  const out = [
    `--- ${path}\n`,
    `+++ ${path}\n`,
    `@@ -${range(from, aTo - from)} +${range(from, bTo - from)} @@\n`,
  ];
  const line = (prefix: string, text: string) =>
    out.push(
      text.endsWith("\n") ? prefix + text : text.endsWith("\r") // a lone CR ends a line too
        ? `${prefix}${text.slice(0, -1)}\n`
        : `${prefix}${text}\n\\ No newline at end of file\n`,
    );
  for (let i = from; i < head; i++) line(" ", a[i]);
  for (let i = head; i < a.length - tail; i++) line("-", a[i]);
  for (let i = head; i < b.length - tail; i++) line("+", b[i]);
  for (let i = a.length - tail; i < aTo; i++) line(" ", a[i]);
  return out.join("");
}

/** Lines with their endings (`\n` or `\r\n`; a lone `\r` ends a line too). */
function splitKeepingEnds(text: string): string[] {
  return text.match(/[^\r\n]*(?:\r\n|\n|\r)|[^\r\n]+$/g) ?? [];
}
