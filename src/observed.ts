/**
 * What a piece of work looked at, recorded as it runs: the layer a kept
 * `stale` verdict rests on (./verdict_cache.ts). Inside {@linkcode recording},
 * every call of a `Deno` function on this thread is noted against the work
 * that made it, across its `await`s (the checks of a run interleave): a look
 * at a path (`lstat`, `stat`, a listing, a read, a real path, a link), an
 * environment variable, a permission, the working folder. Any other `Deno`
 * call (a subprocess, a write, one this layer does not know) and any read of
 * the clock marks the work as not to be kept: its answer may rest on what no
 * later look can see again.
 *
 * The calls are caught where they all go, the `Deno` namespace and `Date`,
 * not module by module: a module added later, or a direct call a review
 * missed, is recorded all the same. Reads made off this thread (the hashing
 * workers: `hash`, a read whose hash the hash cache may serve) and the
 * questions a memo shared between pieces of work answers are noted by their
 * caller with {@linkcode noteLook}; a memo of answers found by other code
 * replays the looks behind them with {@linkcode remembered}.
 *
 * A look is noted by what it asked, not what it saw: {@linkcode answerer}
 * asks again, once the work is done and whenever a kept answer is to be
 * trusted. That later answer is the one the work saw only when it is older
 * than the run (the racy rule of ./hash_cache.ts): a file or folder whose
 * mtime or ctime is less than `RACY_MS` before a stamp taken before the
 * work began, or on another device than the stamp's, is not kept.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { RACY_MS, type Stamp } from "./racy.ts";
import { type LookKind, type Remembered, useLookNotes } from "./look_notes.ts";

/** What a noted call asked: its kind, a tab, and its argument (a path, absolute, or a name). */
export type Observation = string;

/** The calls one piece of work made. */
export interface Recording {
  /** What it asked, each once. */
  readonly seen: Set<Observation>;
  /** Why its answer is not to be kept; undefined while it may be. */
  unkept?: string;
  /** What a look at a folder or link first answered in this run (shared by its recordings). */
  readonly saw?: Map<Observation, string>;
}

const current = new AsyncLocalStorage<Recording>();

/** The recording of the work running now, if any. */
function now(): Recording | undefined {
  return current.getStore();
}

/** Marks the work running now as not to be kept, for `why`. */
export function unkept(why: string): void {
  const recording = now();
  if (recording !== undefined) recording.unkept ??= why;
}

const real = {
  cwd: Deno.cwd,
  statSync: Deno.statSync,
  lstatSync: Deno.lstatSync,
  realPathSync: Deno.realPathSync,
  readLinkSync: Deno.readLinkSync,
  envGet: Deno.env.get.bind(Deno.env),
  querySync: Deno.permissions.querySync.bind(Deno.permissions),
};

function absolute(path: unknown): string {
  const text = path instanceof URL ? decodeURIComponent(path.pathname) : String(path);
  return text.startsWith("/") ? text : `${real.cwd()}/${text}`;
}

function note(kind: string, arg: string): void {
  now()?.seen.add(`${kind}\t${arg}`);
}

/** ./look_notes.ts's `noteLook`: noted for the work recorded now ({@linkcode answerer} asks again). */
function noteLook(kind: LookKind, path: string): void {
  if (current.getStore() !== undefined) note(kind, absolute(path));
}

/** The `Deno` functions whose calls are looks, by the kind of look. */
const LOOKS: Record<string, string> = {
  statSync: "stat",
  stat: "stat",
  lstatSync: "lstat",
  lstat: "lstat",
  readDirSync: "list",
  readDir: "list",
  readFileSync: "read",
  readFile: "read",
  readTextFileSync: "read",
  readTextFile: "read",
  realPathSync: "real",
  realPath: "real",
  readLinkSync: "link",
  readLink: "link",
};

/** `Deno` functions that read nothing a verdict could rest on. */
const HARMLESS = new Set(["inspect", "memoryUsage"]);

/** Whether open `options` only read. */
function readOnly(options: Deno.OpenOptions | undefined): boolean {
  return options === undefined ||
    !(options.write || options.append || options.create || options.createNew || options.truncate);
}

const clock = Date.now;

/**
 * The looks whose later answer tells no time (a folder's or link's identity, a real path): what
 * they answered as asked is kept for the run, and a different answer later means a change during
 * the run, which the racy rule cannot see.
 */
const SEEN_AS_IS = new Set(["statSync", "lstatSync", "realPathSync"]);

/** `call()`'s answer (or error), its identity kept in `saw` for `asked` the first time. */
function sawFirst(saw: Map<Observation, string>, asked: Observation, call: () => unknown): unknown {
  try {
    const answer = call();
    if (!saw.has(asked)) {
      saw.set(asked, typeof answer === "string" ? answer : identityOf(answer as Deno.FileInfo));
    }
    return answer;
  } catch (error) {
    if (!saw.has(asked)) saw.set(asked, errorName(error));
    throw error;
  }
}

function kindName(info: Deno.FileInfo): string {
  return info.isSymlink ? "link" : info.isFile ? "file" : info.isDirectory ? "folder" : "other";
}

/** What names a file or folder whatever its times: its kind, device and inode. */
function identityOf(info: Deno.FileInfo): string {
  return `${kindName(info)} ${info.dev} ${info.ino}`;
}

/**
 * Whether `answer`, what `look` answers now, names what it first answered in the run (`then`,
 * from {@linkcode Recording.saw}): the same kind, device and inode, real path, or error.
 */
export function sameAsSeen(look: Observation, answer: string, then: string | undefined): boolean {
  if (then === undefined || answer === then) return true;
  // A file's state now goes on past its identity: its size and times.
  return !look.startsWith("real\t") && !then.startsWith("error ") && answer.startsWith(`${then} `);
}

let installed = false;

/** How to put back each property the wrappers replaced, latest first. */
const undo: (() => void)[] = [];

/** Replaces `target`'s own `key` (or shadows an inherited one) with `change`, noting how to undo it. */
function replace(target: object, key: string, change: PropertyDescriptor): void {
  const before = Object.getOwnPropertyDescriptor(target, key);
  const fresh = { configurable: true, writable: true, enumerable: false };
  Object.defineProperty(target, key, { ...(before ?? fresh), ...change });
  undo.unshift(() => {
    if (before === undefined) Reflect.deleteProperty(target, key);
    else Object.defineProperty(target, key, before);
  });
}

/** Runs of this process that use the layer now: the last to end takes the wrappers off. */
let holders = 0;

/**
 * Holds the layer for a run that records (`stale`): the wrappers, put on by its first
 * {@linkcode recording}, come off when the last run holding them calls the release, so a library
 * caller's process gets its own `Deno` and `Date` back.
 *
 * @example
 * ```ts
 * import { holdLayer } from "./observed.ts";
 * const release = holdLayer();
 * release();
 * ```
 */
export function holdLayer(): () => void {
  holders++;
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    if (--holders === 0 && installed) {
      for (const put of undo.splice(0)) put();
      useLookNotes(undefined);
      installed = false;
    }
  };
}

/** Puts the recording wrappers on `Deno` and `Date`; outside a recording they pass. */
function install(): void {
  if (installed) return;
  installed = true;
  useLookNotes({ noteLook, remembered, unkept });
  const wrapped = new Map<unknown, unknown>();
  const wrap = (name: string, original: (...args: unknown[]) => unknown) => {
    if (HARMLESS.has(name)) return original;
    const look = LOOKS[name];
    return new Proxy(original, {
      apply(target, self, args) {
        const recording = current.getStore();
        if (recording !== undefined) {
          if (look !== undefined) {
            const asked = `${look}\t${absolute(args[0])}`;
            recording.seen.add(asked);
            if (recording.saw !== undefined && SEEN_AS_IS.has(name)) {
              return sawFirst(recording.saw, asked, () => Reflect.apply(target, self, args));
            }
          } else if (name === "cwd") note("cwd", "");
          else if ((name === "openSync" || name === "open") && readOnly(args[1])) {
            note("read", absolute(args[0]));
          } else unkept(`Deno.${name}`);
        }
        return Reflect.apply(target, self, args);
      },
      construct(target, args, newTarget) {
        unkept(`new Deno.${name}`);
        return Reflect.construct(target, args, newTarget);
      },
    });
  };
  for (const [name, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(Deno))) {
    if (typeof descriptor.value === "function" && descriptor.writable) {
      replace(Deno, name, { value: wrap(name, descriptor.value) });
    } else if (descriptor.get !== undefined && descriptor.configurable) {
      // `Deno.Command`, `Deno.kill` and others are got lazily: wrapped as they are got.
      const get = descriptor.get;
      replace(Deno, name, {
        get() {
          const value = get.call(Deno);
          if (typeof value !== "function") return value;
          if (!wrapped.has(value)) wrapped.set(value, wrap(name, value));
          return wrapped.get(value);
        },
      });
    }
  }
  const env = Deno.env as unknown as Record<string, unknown>;
  for (const name of ["get", "has", "toObject", "set", "delete"]) {
    const original = env[name] as (...args: unknown[]) => unknown;
    replace(env, name, {
      value(this: unknown, ...args: unknown[]) {
        if (current.getStore() !== undefined) {
          if (name === "get" || name === "has") note("env", String(args[0]));
          else unkept(`Deno.env.${name}`);
        }
        return original.apply(Deno.env, args);
      },
    });
  }
  const permissions = Deno.permissions as unknown as Record<string, unknown>;
  for (const name of ["querySync", "query", "request", "requestSync", "revoke", "revokeSync"]) {
    const original = permissions[name] as (...args: unknown[]) => unknown;
    replace(permissions, name, {
      value(...args: unknown[]) {
        if (current.getStore() !== undefined) {
          const asked = { ...(args[0] as Record<string, unknown>) };
          if (asked.path !== undefined) asked.path = absolute(asked.path);
          if (name.startsWith("query")) note("permission", JSON.stringify(asked));
          else unkept(`Deno.permissions.${name}`);
        }
        return original.apply(Deno.permissions, args);
      },
    });
  }
  replace(Date, "now", {
    value: () => {
      unkept("the clock");
      return clock();
    },
  });
  const performanceNow = performance.now.bind(performance);
  replace(performance, "now", {
    value: () => {
      unkept("the clock");
      return performanceNow();
    },
  });
  const date = new Proxy(Date, {
    apply(target, self, args) {
      unkept("the clock");
      return Reflect.apply(target, self, args);
    },
    construct(target, args, newTarget) {
      if (args.length === 0) unkept("the clock");
      return Reflect.construct(target, args, newTarget);
    },
  });
  // A date's `constructor` is still `Date`, as code comparing the two expects.
  replace(Date.prototype, "constructor", { value: date });
  replace(globalThis, "Date", { value: date });
}

/**
 * `work()`, with every call it makes recorded (see the module's text); `saw`, shared by the
 * recordings of one run, keeps what looks at folders, links and real paths first answered.
 *
 * @example
 * ```ts
 * import { recording } from "./observed.ts";
 * const { result, seen, unkept } = await recording(() => Promise.resolve(Deno.statSync("/").isDirectory));
 * console.log(result, [...seen], unkept); // true [ "stat\t/" ] undefined
 * ```
 */
export async function recording<T>(
  work: () => Promise<T>,
  saw?: Map<Observation, string>,
): Promise<{ result: T; seen: Set<Observation>; unkept?: string }> {
  install();
  const recorded: Recording = { seen: new Set(), saw };
  const result = await current.run(recorded, work);
  return { result, seen: recorded.seen, unkept: recorded.unkept };
}

/**
 * `start()` outside any recording: what it sets going (a pool of workers, its message handlers)
 * serves every piece of work, and must not charge its calls to the one that started it.
 *
 * @example
 * ```ts
 * import { outsideRecording } from "./observed.ts";
 * outsideRecording(() => 1); // 1
 * ```
 */
export function outsideRecording<T>(start: () => T): T {
  // Not `exit`: Deno's leaves the recording on after the first `await`.
  return current.run(undefined as unknown as Recording, start);
}

/**
 * ./look_notes.ts's `remembered`: a hit adds what the finding asked to the work running now, as if
 * it had asked again. An answer found where nothing recorded it is found again, recorded, by the
 * first work that needs it.
 */
function remembered<K, V>(memo: Map<K, Remembered<V>>, key: K, find: () => V): V {
  const recording = now();
  let kept = memo.get(key);
  if (kept === undefined || (recording !== undefined && kept.seen === undefined)) {
    if (recording === undefined) kept = { value: find() };
    else {
      const inner: Recording = { seen: new Set(), saw: recording.saw };
      const value = current.run(inner, find);
      kept = { value, seen: inner.seen, unkept: inner.unkept };
    }
    memo.set(key, kept);
  }
  if (recording !== undefined) {
    for (const observation of kept.seen!) recording.seen.add(observation);
    if (kept.unkept !== undefined) recording.unkept ??= kept.unkept;
  }
  return kept.value;
}

/** The folders from `/` down to `path`'s parent. */

/**
 * `seen` with every folder on the way to each path it looks at, and to each real path it found:
 * a folder renamed, or replaced by a symbolic link, moves what a path names with no file beneath
 * it touched.
 */
export function withFoldersOnTheWay(
  seen: ReadonlySet<Observation>,
  answers: Answerer,
): Set<Observation> {
  const all = new Set(seen);
  const onTheWay = new Set<string>(); // folders whose own way is in `all`
  for (const observation of seen) {
    const [kind, arg] = splitObservation(observation);
    const paths = [];
    if (arg.startsWith("/")) paths.push(arg);
    if (kind === "real") {
      const found = answers.answerTo("real", arg);
      if (found?.startsWith("/")) paths.push(found); // else its error is its answer
    }
    for (const path of paths) {
      // Up from its folder to `/`, or to a folder whose way is added already.
      for (let cut = path.lastIndexOf("/"); cut >= 0; cut = path.lastIndexOf("/", cut - 1)) {
        const folder = cut === 0 ? "/" : path.slice(0, cut);
        if (onTheWay.has(folder)) break;
        onTheWay.add(folder);
        all.add(`lstat\t${folder}`);
        if (cut === 0) break;
      }
      if (kind !== "lstat") all.add(`lstat\t${path}`);
    }
  }
  return all;
}

function splitObservation(observation: Observation): [kind: string, arg: string] {
  const tab = observation.indexOf("\t");
  return [observation.slice(0, tab), observation.slice(tab + 1)];
}

/**
 * The state of what `info` describes that tells a change; undefined when too recent for `stamp`
 * (racy) or on another device. Without a stamp, the state as it is, to compare with a kept one.
 */
function stateOf(info: Deno.FileInfo, times: boolean, stamp?: Stamp): string | undefined {
  const kind = info.isSymlink
    ? "link"
    : info.isFile
    ? "file"
    : info.isDirectory
    ? "folder"
    : "other";
  if (!times) return `${kind} ${info.dev} ${info.ino}`;
  const mtime = info.mtime?.getTime();
  const ctime = info.ctime?.getTime();
  const birth = info.birthtime?.getTime();
  if (mtime === undefined || ctime === undefined || birth === undefined) return undefined;
  if (stamp && (info.dev !== stamp.dev || Math.max(mtime, ctime) >= stamp.at - RACY_MS)) {
    return undefined;
  }
  return `${kind} ${info.dev} ${info.ino} ${info.size} ${mtime} ${ctime} ${birth}`;
}

function errorName(error: unknown): string {
  return `error ${error instanceof Error ? error.name : typeof error}`;
}

/** Answers looks, each system call made once per path however many looks need it. */
export interface Answerer {
  /**
   * What `observation` answers now, as a text that differs when the answer may: a file's or a
   * listed folder's state (device, inode, size, times), a folder's or link's identity on the way,
   * a real path, a link's target, a variable's value, a permission's state, or the error's kind.
   * `undefined`: changed too recently (or on another device than the stamp's) to be sure of;
   * with no stamp, the answer as it is (to compare with one kept).
   */
  answer(observation: Observation): string | undefined;
  /** {@linkcode Answerer.answer} of the look `kind` of `arg`. */
  answerTo(kind: string, arg: string): string | undefined;
  /** `Deno.statSync(path)`'s answer (or error), asked once. */
  stat(path: string): Deno.FileInfo | Error;
}

/** `fn`'s answer or its error, made without a stack (what a failing look-up costs most). */
function attempt<T>(fn: () => T): T | Error {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return fn();
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * An {@linkcode Answerer} for one run, judging recency by `stamp` (none: no racy rule).
 *
 * @example
 * ```ts
 * import { answerer } from "./observed.ts";
 * const answers = answerer();
 * answers.answer("env\tHOME") === JSON.stringify(Deno.env.get("HOME") ?? null); // true
 * ```
 */
export function answerer(stamp?: Stamp): Answerer {
  const lstats = new Map<string, Deno.FileInfo | Error>();
  const stats = new Map<string, Deno.FileInfo | Error>();
  const reals = new Map<string, string | Error>();
  const answers = new Map<string, Map<string, string | undefined>>(); // by argument, then kind
  const lstatOf = (path: string) => {
    let info = lstats.get(path);
    if (info === undefined) lstats.set(path, info = attempt(() => real.lstatSync(path)));
    return info;
  };
  // What is there and no link is its own `stat`, and nothing there no `stat` either: one call.
  const statOf = (path: string) => {
    const link = lstatOf(path);
    if (link instanceof Deno.errors.NotFound || (!(link instanceof Error) && !link.isSymlink)) {
      return link;
    }
    let info = stats.get(path);
    if (info === undefined) stats.set(path, info = attempt(() => real.statSync(path)));
    return info;
  };
  // A folder's real path and a name, unless the name is a link: as the system resolves it.
  const realOf = (path: string): string | Error => {
    let found = reals.get(path);
    if (found !== undefined) return found;
    const cut = path.lastIndexOf("/");
    const link = cut > 0 && !/\/\.{0,2}(\/|$)/.test(path) ? lstatOf(path) : undefined;
    if (link === undefined || link instanceof Error || link.isSymlink) {
      found = attempt(() => real.realPathSync(path));
    } else {
      const parent = realOf(path.slice(0, cut));
      found = parent instanceof Error
        ? attempt(() => real.realPathSync(path))
        : `${parent === "/" ? "" : parent}/${path.slice(cut + 1)}`;
    }
    reals.set(path, found);
    return found;
  };
  const answerOf = (kind: string, arg: string): string | undefined => {
    try {
      switch (kind) {
        case "lstat":
        case "stat": {
          const info = kind === "lstat" ? lstatOf(arg) : statOf(arg);
          return info instanceof Error ? errorName(info) : stateOf(info, info.isFile, stamp);
        }
        case "list":
        case "read":
        case "hash": {
          const info = statOf(arg);
          return info instanceof Error ? errorName(info) : stateOf(info, true, stamp);
        }
        case "real": {
          const found = realOf(arg);
          return found instanceof Error ? errorName(found) : found;
        }
        case "link":
          return real.readLinkSync(arg);
        case "cwd":
          return real.cwd();
        case "env":
          return JSON.stringify(real.envGet(arg) ?? null);
        case "permission":
          return real.querySync(JSON.parse(arg) as Deno.PermissionDescriptor).state;
      }
    } catch (error) {
      return errorName(error);
    }
    return undefined;
  };
  const answer = (kind: string, arg: string) => {
    let byKind = answers.get(arg);
    if (byKind === undefined) answers.set(arg, byKind = new Map());
    if (!byKind.has(kind)) byKind.set(kind, answerOf(kind, arg));
    return byKind.get(kind);
  };
  return {
    answer(observation) {
      const [kind, arg] = splitObservation(observation);
      return answer(kind, arg);
    },
    answerTo: answer,
    stat: statOf,
  };
}
