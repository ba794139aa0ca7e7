/**
 * A deliverable's checks kept between `stale` runs, with everything they
 * looked at: a later run that finds each look answering as it did gives the
 * kept checks instead of judging again (git's untracked cache, DVC's stage
 * cache). What a check looked at is recorded by ./observed.ts as it runs
 * (every file, folder, listing, real path, variable and permission it
 * asked about, and every folder on the way to each path); a check that ran
 * a program, read the clock, wrote, or asked what that layer does not know
 * is not kept, nor one resting on a file or folder changed less than
 * `RACY_MS` before the run's stamp (the file system's clock, taken before
 * the first check) or on another device. A kept check is used only when
 * the key is the same (runrec's version, the options that change a
 * verdict, the working folder, the variables git and `~` read) and every
 * look answers now as it did; when in doubt, the deliverable is judged
 * again.
 *
 * The file is `runrec-verdicts` in the common git folder, beside
 * `runrec-hashes`, kept by the same rules (./git_folder_file.ts): a header,
 * then one line per deliverable folder (its absolute path as JSON, a tab,
 * the key, the looks with their answers, paths written from the folder, and
 * the checks); replaced whole by rename, and not written when a run has
 * nothing to change in it (a fresh clone's: every folder too new to keep);
 * ignored when foreign, corrupt, too large or written "later" than now; read
 * and not written where that folder cannot be written; none outside a git
 * repository. Deleting it loses nothing but time.
 *
 * @module
 */
import { answerer, type Observation, sameAsSeen, withFoldersOnTheWay } from "./observed.ts";
import {
  fileSystemNow,
  identity,
  keptFilePath,
  readLines,
  type Stamp,
  temporaryBeside,
  writeLines,
} from "./git_folder_file.ts";

/** The file's name in the common git folder. */
export const VERDICT_CACHE_FILE = "runrec-verdicts";

/** The header's format: a file without it is not this cache (1: every path absolute). */
const FORMAT = "runrec-verdicts 2";

/**
 * A folder's line: the key it was kept under, the looks with their answers (the kinds of look
 * that answered alike for an argument, joined by commas: a file's `stat`, `lstat` and read), and
 * what was kept. Paths are written from the folder ({@linkcode fromFolder}).
 */
type Line = { key: string; looks: [kinds: string, arg: string, answer: string][]; value: unknown };

function parseLine(json: string | undefined): Line | undefined {
  try {
    const line = json === undefined ? undefined : JSON.parse(json);
    const fine = line !== null && typeof line === "object" && typeof line.key === "string" &&
      Array.isArray(line.looks) && "value" in line &&
      line.looks.every((look: unknown) =>
        Array.isArray(look) && look.length === 3 && look.every((s) => typeof s === "string")
      );
    return fine ? line as Line : undefined;
  } catch {
    return undefined; // a damaged line: nothing kept
  }
}

/** Looks whose argument is a path; `real` answers with one too. */
const PATH_KINDS = new Set(["lstat", "stat", "list", "read", "real", "hash", "link"]);

function pathKinds(kinds: string): boolean {
  return kinds.split(",").every((kind) => PATH_KINDS.has(kind));
}

/**
 * `path` (absolute) as written in `folder`'s line: `~N` and the rest of it below the folder's
 * `N`th parent (`~0` the folder itself), when that parent is not `/`; else as it is. Most of what
 * a check looks at is beneath its folder or its root: each line would repeat their path.
 *
 * @example
 * ```ts
 * import { fromFolder } from "./verdict_cache.ts";
 * fromFolder("/r/P/D/a.md", "/r/P/D"); // "~0/a.md"
 * fromFolder("/r/.git", "/r/P/D"); // "~2/.git"
 * fromFolder("/", "/r/P/D"); // "/"
 * ```
 */
export function fromFolder(path: string, folder: string): string {
  let base = folder;
  for (let up = 0; base.length > 1; up++) {
    if (path === base || path.startsWith(`${base}/`)) return `~${up}${path.slice(base.length)}`;
    base = base.slice(0, base.lastIndexOf("/"));
  }
  return path;
}

/**
 * What {@linkcode fromFolder} wrote, read back: the path; undefined for a `~` it cannot write.
 *
 * @example
 * ```ts
 * import { inFolder } from "./verdict_cache.ts";
 * inFolder("~2/.git", "/r/P/D"); // "/r/.git"
 * ```
 */
export function inFolder(text: string, folder: string): string | undefined {
  if (!text.startsWith("~")) return text;
  const up = /^~(\d{1,4})(?=\/|$)/.exec(text);
  if (up === null) return undefined;
  let base = folder;
  for (let n = Number(up[1]); n > 0; n--) {
    if (base.length <= 1) return undefined;
    base = base.slice(0, base.lastIndexOf("/"));
  }
  return base.length > 1 ? base + text.slice(up[0].length) : undefined;
}

/** Kept checks, by deliverable folder. */
export interface VerdictCache {
  /** The file system's clock when this cache was made (the racy rule's); none where unwritable. */
  readonly stamp?: Stamp;
  /** `Deno.statSync(path)`'s answer (or error), asked once a run with the looks' own. */
  stat(path: string): Deno.FileInfo | Error;
  /**
   * What was kept for `folder` (absolute) under `key`, when every look it rests on answers as
   * it did (a fresh copy, parsed from the file); `undefined` otherwise.
   */
  kept(folder: string, key: string): unknown;
  /**
   * Keeps `value`, the answer for `folder` under `key` of work that asked `seen` and began after
   * this cache was made; nothing when any of it changed too recently to be sure of, or answers
   * otherwise than it did when first asked in the run (`saw`).
   */
  keep(
    folder: string,
    key: string,
    seen: ReadonlySet<Observation>,
    value: unknown,
    saw?: ReadonlyMap<Observation, string>,
  ): void;
  /**
   * Whether a check of `folder` (absolute) could be kept: not where no stamp could be taken, nor
   * when the folder, which every check lists, changed less than `RACY_MS` before the stamp or is
   * on another device (a fresh clone's every folder). Its answer is the run's, as keep() asks it.
   */
  mayKeep(folder: string): boolean;
  /** Keeps nothing for `folder`: its checks could not be (they ran a program, read the clock). */
  drop(folder: string): void;
  /** Replaces the file when this run learnt something; never throws. */
  save(): void;
}

/**
 * The verdict cache of the git repository holding `dir`, its stamp taken now: make it before the
 * first check begins. None outside a repository or where runrec may not use the common git
 * folder.
 *
 * @example
 * ```ts
 * import { verdictCacheFor } from "./verdict_cache.ts";
 * const cache = verdictCacheFor(".");
 * cache?.kept("/nowhere", "key"); // undefined
 * ```
 */
export function verdictCacheFor(dir: string): VerdictCache | undefined {
  const path = keptFilePath(dir, VERDICT_CACHE_FILE);
  if (path === undefined) return undefined;
  const temporary = temporaryBeside(path);
  // The file system's clock before any check looks: a change after it is stamped later.
  const stamp: Stamp | undefined = fileSystemNow(temporary);
  const first = readLines(path, FORMAT, Date.now());
  const learnt = new Map<string, string | undefined>(); // by line key; undefined: dropped
  // What each look answers in this run, asked once however many checks rest on it.
  const answers = answerer(stamp);
  const answer = answers.answer;

  return {
    stamp,
    stat: answers.stat,
    kept(folder, key) {
      const line = parseLine(first.lines.get(JSON.stringify(folder)));
      if (line === undefined || line.key !== key) return undefined;
      for (const [kinds, written, answered] of line.looks) {
        const paths = pathKinds(kinds);
        const arg = paths ? inFolder(written, folder) : written;
        const then = kinds === "real" ? inFolder(answered, folder) : answered;
        if (arg === undefined || then === undefined) return undefined;
        for (const kind of kinds.split(",")) {
          if (answers.answerTo(kind, arg) !== then) return undefined;
        }
      }
      return line.value;
    },
    mayKeep(folder) {
      return stamp !== undefined && answers.answerTo("list", folder) !== undefined;
    },
    drop(folder) {
      learnt.set(JSON.stringify(folder), undefined);
    },
    keep(folder, key, seen, value, saw) {
      const lineKey = JSON.stringify(folder);
      learnt.set(lineKey, undefined);
      if (stamp === undefined) return; // no clock to judge a change by: nothing kept
      if (seen.size === 0) return; // a check looks at its folder at least: a slip, not kept
      if (seen.has(`list\t${folder}`) && !this.mayKeep(folder)) return; // before the other looks
      const alike = new Map<string, [kinds: string[], arg: string, answer: string]>();
      for (const look of withFoldersOnTheWay(seen, answers)) {
        const now = answer(look);
        if (now === undefined) return; // too recent, or on another device
        if (!sameAsSeen(look, now, saw?.get(look))) return; // a folder or link replaced meanwhile
        const tab = look.indexOf("\t");
        const [kind, arg] = [look.slice(0, tab), look.slice(tab + 1)];
        const same = alike.get(`${arg}\0${now}`);
        if (same === undefined) alike.set(`${arg}\0${now}`, [[kind], arg, now]);
        else same[0].push(kind);
      }
      const looks = [...alike.values()].map(([kinds, arg, now]) => {
        const joined = kinds.join(",");
        const paths = pathKinds(joined);
        return [
          joined,
          paths ? fromFolder(arg, folder) : arg,
          joined === "real" ? fromFolder(now, folder) : now,
        ];
      });
      learnt.set(lineKey, JSON.stringify({ key, looks, value }));
    },
    save() {
      if (stamp === undefined) return;
      // A folder dropped that had no line changes nothing: a fresh clone's run writes no file.
      const changes = [...learnt].filter(([lineKey, line]) =>
        line !== undefined || first.lines.has(lineKey)
      );
      if (changes.length === 0) return;
      const now = Date.now();
      let same = false;
      try {
        same = first.read === identity(Deno.statSync(path));
      } catch { /* gone: none to keep */ }
      // Another run may have written meanwhile: its other lines stay as it wrote them.
      const current = same ? first.lines : readLines(path, FORMAT, now).lines;
      for (const [lineKey] of changes) current.delete(lineKey);
      // This run's lines first: where not all fit in the file, they are the ones kept.
      const mine = changes.filter((change): change is [string, string] => change[1] !== undefined);
      writeLines(path, temporary, FORMAT, [...mine, ...current], now);
    },
  };
}
