/**
 * Agent profiles: what an agent may write and which `_STATUS.md` changes it
 * may make, read from its instruction file's "Agent Type" table
 * (`WRITE_SCOPE`, `PRIMARY_OUTPUTS`) or built in for the five deliverable
 * agents. {@linkcode checkRun} compares a finished run with its agent's
 * profile and the lifecycle rules and returns notes for the record: a run is
 * never refused, `_STATUS.md` always wins. {@linkcode unknownAgentWarning}
 * says when a run's agent is a near miss of a name the project has
 * (misspelt?), naming the closest.
 *
 * @module
 */
import { dirname, join, resolve } from "./path.ts";
import { AGENT_FILE_NAME, parseAgentFile, writeScopeKind } from "./agent_file.ts";
import { isLifecycleTransition, lifecycleProblems } from "./lifecycle.ts";
import { LIFECYCLE_STATES, TBD } from "./schema.ts";
import { directLookups, type Lookups } from "./lookups.ts";
import { projectTop } from "./project_bounds.ts";
import { pathArgument } from "./shell_word.ts";

/** What an agent may write, and where its profile came from. */
export interface AgentProfile {
  /** The agent's name, e.g. `4_DOCUMENTS`. */
  name: string;
  /** The kind of `WRITE_SCOPE`, e.g. `deliverable-local`. */
  writeScope: string;
  /**
   * The files it writes, relative to the deliverable folder (`*` matches
   * within a name). Empty: not known, not checked.
   */
  primaryOutputs: readonly string[];
  /** The `_STATUS.md` changes it may make, as `[from, to]`. */
  transitions: readonly (readonly [string, string])[];
  /**
   * Files of the deliverable it typically reads (the `--input`s of its block; never `_STATUS.md`).
   */
  inputs: readonly string[];
  /** `built-in`, or the agent file it was read from. */
  source: string;
}

const FOUR_DOCUMENTS = ["Datasheet.md", "Specification.md", "Guidance.md", "Procedure.md"];

/**
 * The built-in profiles of the five deliverable agents (SCHEMA.md section
 * 4.4), used when no agent file describes them.
 *
 * @example
 * ```ts
 * import { BUILTIN_PROFILES } from "./profiles.ts";
 * BUILTIN_PROFILES["4_DOCUMENTS"].transitions; // [["OPEN", "INITIALIZED"]]
 * ```
 */
export const BUILTIN_PROFILES: Readonly<Record<string, AgentProfile>> = Object.fromEntries(
  ([
    {
      name: "PREPARATION",
      // Its recorded run (one deliverable) writes only the folder it creates.
      writeScope: "deliverable-local",
      primaryOutputs: [
        "_CONTEXT.md",
        "_DEPENDENCIES.md",
        "_STATUS.md",
        "_REFERENCES.md",
        "_SEMANTIC.md",
      ],
      transitions: [[TBD, "OPEN"]],
      inputs: [],
    },
    {
      name: "4_DOCUMENTS",
      writeScope: "deliverable-local",
      primaryOutputs: [...FOUR_DOCUMENTS, "_STATUS.md"],
      transitions: [["OPEN", "INITIALIZED"]],
      // Never `_STATUS.md`: its state is recorded as StatusBefore/After; as an input every later
      // state change would make the run DIRTY in `stale` (docs/AGENT_PROTOCOL.md §1).
      inputs: ["_CONTEXT.md", "_DEPENDENCIES.md", "_REFERENCES.md"],
    },
    {
      name: "DEPENDENCIES",
      writeScope: "deliverable-local",
      primaryOutputs: ["Dependencies.csv", "_DEPENDENCIES.md"],
      transitions: [],
      inputs: [...FOUR_DOCUMENTS, "_CONTEXT.md", "_REFERENCES.md", "_DEPENDENCIES.md"],
    },
    {
      name: "CHIRALITY_FRAMEWORK",
      writeScope: "deliverable-local",
      primaryOutputs: ["_SEMANTIC.md", "_STATUS.md"],
      transitions: [["INITIALIZED", "SEMANTIC_READY"]],
      inputs: [...FOUR_DOCUMENTS, "_CONTEXT.md"],
    },
    {
      name: "CHIRALITY_LENS",
      writeScope: "deliverable-local",
      primaryOutputs: ["_SEMANTIC_LENSING.md"],
      transitions: [],
      inputs: [...FOUR_DOCUMENTS, "_SEMANTIC.md"],
    },
  ] as const).map((p) => [p.name, { ...p, source: "built-in" }]),
);

const BACKTICKED = /`([^`]+)`/g;
const ARROW = /\b([A-Z_]+)\s*(?:→|->)\s*([A-Z_]+)\b/g;

/**
 * The files a `PRIMARY_OUTPUTS` value names in backticks, relative to the
 * deliverable folder (a leading `{DELIVERABLE_PATH}/` is dropped); words
 * that are not file names are left out.
 *
 * @example
 * ```ts
 * import { primaryOutputFiles } from "./profiles.ts";
 * primaryOutputFiles("`Datasheet.md`, `{DELIVERABLE_PATH}/_STATUS.md` (OPEN→INITIALIZED)");
 * // ["Datasheet.md", "_STATUS.md"]
 * primaryOutputFiles("`My Notes.md`, `figures/`"); // ["My Notes.md", "figures/"]
 * ```
 */
export function primaryOutputFiles(value: string): string[] {
  const files: string[] = [];
  for (const [, token] of value.matchAll(BACKTICKED)) {
    const path = token.trim().replace(/^(?:\{[A-Za-z_]+\}\/)+/, "");
    // A name with a space is a file all the same (the block quotes it); a folder ends in `/`.
    if (/(?:\.[A-Za-z0-9]+|\/)$/.test(path) && !/[{}]/.test(path)) files.push(path);
  }
  return [...new Set(files)];
}

/** The lifecycle changes a text names as `FROM→TO` (or `FROM->TO`). */
function namedTransitions(value: string): [string, string][] {
  const states: readonly string[] = LIFECYCLE_STATES;
  return [...value.matchAll(ARROW)]
    .filter(([, from, to]) => states.includes(from) && states.includes(to))
    .map(([, from, to]) => [from, to]);
}

/**
 * The profile an agent instruction file describes: `WRITE_SCOPE` and the
 * files and state changes of `PRIMARY_OUTPUTS`, joined with the built-in
 * profile of the same name (its state changes and typical inputs).
 *
 * @example
 * ```ts
 * import { profileFromText } from "./profiles.ts";
 * const profile = profileFromText(
 *   "| **WRITE_SCOPE** | deliverable-local |\n| **PRIMARY_OUTPUTS** | `Dependencies.csv` |\n",
 *   "agents/AGENT_DEPENDENCIES.md",
 * );
 * profile.primaryOutputs; // ["Dependencies.csv"]
 * ```
 */
export function profileFromText(text: string, path: string): AgentProfile {
  const file = parseAgentFile(text, path);
  const builtin = BUILTIN_PROFILES[file.name] as AgentProfile | undefined;
  const outputs = file.table.PRIMARY_OUTPUTS ?? "";
  const transitions = [...(builtin?.transitions ?? []), ...namedTransitions(outputs)];
  const seen = new Set<string>();
  return {
    name: file.name,
    writeScope: writeScopeKind(file.table.WRITE_SCOPE) ?? builtin?.writeScope ?? "unknown",
    primaryOutputs: file.table.PRIMARY_OUTPUTS === undefined
      ? builtin?.primaryOutputs ?? []
      : primaryOutputFiles(outputs),
    transitions: transitions.filter(([f, t]) => {
      const key = `${f}>${t}`;
      return !seen.has(key) && seen.add(key);
    }),
    inputs: builtin?.inputs ?? [],
    source: path,
  };
}

/**
 * Folders, nearest first, that may hold agent files: `agents/` and
 * `.claude/agents/` in `dir` and in each folder above it, as the path is
 * written (a deliverable reached through a link finds the agents of the
 * project it is named in), up to the project's top (`projectTop`: the git work
 * tree's, where the host keeps `agents/`, else the execution root's), and no
 * further: another project's or a home folder's `agents/` above it must not
 * shape this project's records and warnings (trial-t F6). Up to `/` only
 * where there is no project to leave (neither root found). Only folders
 * that are there, as `lookups` sees them.
 */
function agentFolders(dir: string, lookups: Lookups): string[] {
  const folders: string[] = [];
  const top = projectTop(dir, lookups);
  for (let d = resolve(dir);; d = dirname(d)) {
    for (const folder of [join(d, "agents"), join(d, ".claude", "agents")]) {
      if (lookups.statKind(folder) === "folder") folders.push(folder);
    }
    if (d === top || dirname(d) === d) return folders;
  }
}

function readAgentFile(folder: string, agent: string): AgentProfile | undefined {
  const path = join(folder, `AGENT_${agent}.md`);
  try {
    return profileFromText(Deno.readTextFileSync(path), path);
  } catch {
    return undefined; // missing, unreadable, or outside what this process may read
  }
}

/**
 * The profile of `agent` for a run on `delDir`: from `agentsDir/AGENT_<agent>.md`
 * when `agentsDir` is given, else from the nearest `agents/` (or
 * `.claude/agents/`) folder in the deliverable or above it that has the
 * agent's file, else built in; `undefined` for an
 * agent runrec does not know (it is recorded all the same). `lookups` answers
 * which folders are there (default: the system). Never throws.
 *
 * @example
 * ```ts
 * import { findProfile } from "./profiles.ts";
 * findProfile("CHIRALITY_LENS", "/nowhere/DEL-01-02_X")?.source; // "built-in"
 * findProfile("SOMEONE_NEW", "/nowhere/DEL-01-02_X"); // undefined
 * ```
 */
export function findProfile(
  agent: string,
  delDir: string,
  agentsDir?: string,
  lookups: Lookups = directLookups,
): AgentProfile | undefined {
  if (!AGENT_FILE_NAME.test(`AGENT_${agent}.md`) || /[\\/]/.test(agent)) return undefined;
  const folders = agentsDir === undefined ? agentFolders(delDir, lookups) : [resolve(agentsDir)];
  for (const folder of folders) {
    const profile = readAgentFile(folder, agent);
    if (profile) return profile;
  }
  return Object.hasOwn(BUILTIN_PROFILES, agent) ? BUILTIN_PROFILES[agent] : undefined;
}

/** The agent files {@linkcode nearMisses} looked at, and the names a name is a near miss of. */
interface NearMisses {
  /** The closest names (misspelt?); empty when none is close: the project's own agent. */
  names: string[];
  /** The names of the agent files found. */
  files: ReadonlySet<string>;
  /** The folders holding them. */
  folders: readonly string[];
}

/**
 * The one rule of a misspelt agent name, for the recording warning and `stale`: the names `agent`
 * is a near miss of (`closestNames`) among its agent files (where {@linkcode findProfile}
 * looks, or in `agentsDir` when given) and `others`, unless it is the project's own agent: a near
 * miss of none, or of `others` only and not only in case, that `recorded` (asked only then, the
 * agents the deliverable's records held when it ran) already holds. `undefined` when its own agent
 * file is there (known, though it could not be read).
 */
async function nearMisses(
  agent: string,
  delDir: string,
  agentsDir: string | undefined,
  lookups: Lookups,
  others: readonly string[],
  recorded: () => ReadonlySet<string>,
): Promise<NearMisses | undefined> {
  const folders = agentsDir === undefined ? agentFolders(delDir, lookups) : [resolve(agentsDir)];
  const withFiles = new Set<string>();
  const files = new Set<string>();
  for (const folder of folders) {
    for (const [entry, kind] of lookups.folderEntries(folder)) {
      const name = AGENT_FILE_NAME.exec(entry)?.[1];
      if (name === undefined || kind !== "file") continue;
      files.add(name);
      withFiles.add(folder);
    }
  }
  // Its file is there but could not be read: known all the same.
  if (files.has(agent)) return undefined;
  // Loaded only here: a run of a known agent never needs it (a CommonJS package is slow to load
  // from source; docs/BENCHMARKS.md, stop 25).
  const { closestNames } = await import("./near_names.ts");
  let names = closestNames(agent, [...files, ...others]);
  const caseOnly = names.some((name) => name.toUpperCase() === agent.toUpperCase());
  // A name near no agent file, that ran here before, is the project's own (warned of then). A
  // name near none at all says nothing: the records (a read of the file) are not asked.
  if (
    names.length > 0 && !caseOnly && !names.some((name) => files.has(name)) &&
    recorded().has(agent)
  ) names = [];
  return { names, files, folders: [...withFiles] };
}

/**
 * A one-line warning for a run of `agent` on `delDir` whose name is a near miss of an agent the
 * project has (misspelt?), naming the closest: of its agent files (where {@linkcode findProfile}
 * looks, or in `agentsDir` when given), always, and of the built-in agents, unless the
 * deliverable's records (`recorded`, asked only then) already hold the name and it differs from
 * the built-in one by more than case (the project's own agent, such as `CHIRALITY_LENSES`, warned
 * of at its first run there only). `undefined` for a known name and for a name close to none (a
 * project's own agent, which runrec has no list of: an agent file added for one leaves the others
 * quiet, and agents named alike, `STAGE_1` and `STAGE_2`, do not warn of each other). Call it only
 * once `findProfile` found no profile (an agent file it could not read is known all the same): it
 * lists the agent folders, which `findProfile` does not, so that a run of a known agent costs no
 * listing.
 *
 * @example
 * ```ts
 * import { unknownAgentWarning } from "./profiles.ts";
 * await unknownAgentWarning("CHIRALITY_LENZ", "/nowhere/DEL-01-02_X");
 * // "agent CHIRALITY_LENZ is not a known agent (no agent file, nor built in): recorded as given, an
 * //  agent of its own in stale and log; did you mean CHIRALITY_LENS? (an agent of the project's
 * //  own: an AGENT_CHIRALITY_LENZ.md declares it)"
 * await unknownAgentWarning("MY_LINTER", "/nowhere/DEL-01-02_X"); // undefined
 * const ran = () => new Set(["CHIRALITY_LENSES"]); // the deliverable's records name it
 * await unknownAgentWarning("CHIRALITY_LENSES", "/nowhere/DEL-01-02_X", undefined, undefined, ran); // undefined
 * ```
 */
export async function unknownAgentWarning(
  agent: string,
  delDir: string,
  agentsDir?: string,
  lookups: Lookups = directLookups,
  recorded: () => ReadonlySet<string> = () => new Set(),
): Promise<string | undefined> {
  const unknown = await unknownAgent(agent, delDir, agentsDir, lookups, recorded);
  if (unknown === undefined) return undefined;
  return `agent ${agent} is not a known agent (${unknown.where}, nor built in): recorded as ` +
    `given, an agent of its own in stale and log; did you mean ${unknown.meant}? (an agent of ` +
    `the project's own: an AGENT_${agent}.md declares it)`;
}

/**
 * The warning of {@linkcode unknownAgentWarning} for a run of `agent` started on `delDir`
 * (trial-t F10), said by `start` while the agent can still start again under the name it meant:
 * its finish would record the name as given, and a finish or emit under the name meant would
 * leave this run pending, for reap to write FAILED. `token` is the started run's (absent: kept
 * in memory only). `undefined` when {@linkcode unknownAgentWarning} would say nothing.
 *
 * @example
 * ```ts
 * import { unknownAgentAtStart } from "./profiles.ts";
 * await unknownAgentAtStart("chirality_lens", "/nowhere/DEL-01-02_X", "/nowhere/DEL-01-02_X/.runrec/pending/1.json");
 * // "agent chirality_lens is not a known agent (no agent file, nor built in): started as given, …"
 * ```
 */
export async function unknownAgentAtStart(
  agent: string,
  delDir: string,
  token?: string,
  recorded: () => ReadonlySet<string> = () => new Set(),
): Promise<string | undefined> {
  const unknown = await unknownAgent(agent, delDir, undefined, directLookups, recorded);
  if (unknown === undefined) return undefined;
  const restart = token === undefined
    ? "record it under that name at its end instead"
    : `remove this run (rm ${pathArgument(token)}) and start it again under that name`;
  return `agent ${agent} is not a known agent (${unknown.where}, nor built in): started as ` +
    `given, and its finish records that name; did you mean ${unknown.meant}? If so, ${restart}; ` +
    `else nothing to do (an agent of the project's own: an AGENT_${agent}.md declares it)`;
}

/**
 * Where `agent`'s file was looked for and the names it is a near miss of (`A or B`), by the rule
 * of {@linkcode unknownAgentWarning}; `undefined` when it says nothing.
 */
async function unknownAgent(
  agent: string,
  delDir: string,
  agentsDir: string | undefined,
  lookups: Lookups,
  recorded: () => ReadonlySet<string>,
): Promise<{ where: string; meant: string } | undefined> {
  if (Object.hasOwn(BUILTIN_PROFILES, agent)) return undefined;
  const builtIn = Object.keys(BUILTIN_PROFILES);
  const near = await nearMisses(agent, delDir, agentsDir, lookups, builtIn, recorded);
  if (near === undefined || near.names.length === 0) return undefined;
  const where = near.files.size === 0
    ? "no agent file"
    : `no AGENT_${agent}.md in ${near.folders.join(", ")}`;
  return { where, meant: near.names.join(" or ") };
}

/**
 * Whether `agent`, a name with no profile on `delDir`, looks misspelt: by the recording warning's
 * rule ({@linkcode unknownAgentWarning}), as at its latest run there (`recordedBefore`: the agents
 * the deliverable's records held then), but a near miss of an agent file's name or of a built-in
 * that ran there (among `ranHere`), not of a built-in that never ran there nor of a project's own
 * agent (`AUDITOR` beside `EDITOR`). A project's own agent (a near miss of
 * none: `MY_LINTER`; of no agent in use there: `CHIRALITY_LENSES` where only 4_DOCUMENTS ran) is
 * not, nor is a name that ran there before its latest run unless it is near an agent file's name
 * or another's in case only. For `stale`, which takes back only a misspelt name whose every run was
 * invalidated.
 *
 * @example
 * ```ts
 * import { looksMisspelt } from "./profiles.ts";
 * await looksMisspelt("4_DOCUMENT", "/nowhere/DEL-01-02_X", ["4_DOCUMENTS"], new Set()); // true
 * await looksMisspelt("CHIRALITY_LENSES", "/nowhere/DEL-01-02_X", ["4_DOCUMENTS"], new Set()); // false
 * ```
 */
export async function looksMisspelt(
  agent: string,
  delDir: string,
  ranHere: readonly string[],
  recordedBefore: ReadonlySet<string>,
  lookups: Lookups = directLookups,
): Promise<boolean> {
  // The recording warning's candidates: a project's own agent is never one (runrec knows none).
  const builtInHere = ranHere.filter((name) => Object.hasOwn(BUILTIN_PROFILES, name));
  const near = await nearMisses(
    agent,
    delDir,
    undefined,
    lookups,
    builtInHere,
    () => recordedBefore,
  );
  return near !== undefined && near.names.length > 0;
}

/**
 * One line for an `--agent` name that has no run (`where`: "no run by that agent in the
 * deliverables checked") among `ran`, the agents that do: those agents, and the closest of them
 * and of the built-in agents when one is near ("did you mean ...?"). For `stale`, which refuses
 * such a name, and `log`, which warns of it: a misspelt name otherwise reads as "no baseline" or
 * "no records", and a CI gate passes (trial-t F4).
 *
 * @example
 * ```ts
 * import { agentNotFound } from "./profiles.ts";
 * await agentNotFound("4_DOCUMNETS", "no run by that agent", ["4_DOCUMENTS"]);
 * // "--agent 4_DOCUMNETS: no run by that agent (agents with runs there: 4_DOCUMENTS); did you mean 4_DOCUMENTS?"
 * ```
 */
export async function agentNotFound(
  agent: string,
  where: string,
  ran: readonly string[],
): Promise<string> {
  return `--agent ${agent}: ${await agentNotFoundReason(agent, where, ran)}`;
}

/**
 * {@linkcode agentNotFound}'s line after the name, for a caller that names the option its own way
 * (the library's `agents`).
 *
 * @example
 * ```ts
 * import { agentNotFoundReason } from "./profiles.ts";
 * await agentNotFoundReason("4_DOCUMNETS", "no run by that agent", ["4_DOCUMENTS"]);
 * // "no run by that agent (agents with runs there: 4_DOCUMENTS); did you mean 4_DOCUMENTS?"
 * ```
 */
export async function agentNotFoundReason(
  agent: string,
  where: string,
  ran: readonly string[],
): Promise<string> {
  const sorted = [...new Set(ran)]; // in the caller's order
  // Loaded only here, as in nearMisses: a known name never needs it.
  const { closestNames } = await import("./near_names.ts");
  const near = closestNames(agent, [...sorted, ...Object.keys(BUILTIN_PROFILES)]);
  const hint = near.length === 0 ? "" : `; did you mean ${near.join(" or ")}?`;
  return `${where} (agents with runs there: ${sorted.join(", ") || "none"})${hint}`;
}

/** What a finished run did, as {@linkcode checkRun} compares it with a profile. */
export interface RunFacts {
  /** RunStatus recorded. */
  runStatus: string;
  /** `_STATUS.md` at run start, or `TBD`. */
  statusBefore: string;
  /** `_STATUS.md` at run end, or `TBD`: what is recorded. */
  statusAfter: string;
  /** The StatusAfter the agent claimed (`--status-after`), if it did. */
  claimedStatusAfter?: string;
  /** The outputs, relative to the deliverable folder (`../x` and absolute paths are outside). */
  outputs: readonly string[];
}

/** runrec's own files in a deliverable folder: never an agent's output. */
const RUNREC_FILES = /^(RunRecords\.csv$|\.runrec(?:-spool)?(?:\/|$))/;

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replaceAll("*", "[^/]*");
  // A folder (`figures/`) holds every file beneath it.
  return new RegExp(`^${escaped}${pattern.endsWith("/") ? ".*" : ""}$`);
}

/**
 * Notes for the record of a finished run, one line each: outputs outside the
 * deliverable folder (a deliverable-local agent) or not among its
 * `PRIMARY_OUTPUTS`, a `_STATUS.md` change the agent may not make, SUCCESS
 * from a terminal state, SKIPPED with a changed state, a change the
 * lifecycle does not allow, and a claimed StatusAfter that disagrees with
 * `_STATUS.md`. Without a profile (an agent runrec does not know) only the
 * lifecycle and the claim are checked. Nothing here refuses a run.
 *
 * @example
 * ```ts
 * import { BUILTIN_PROFILES, checkRun } from "./profiles.ts";
 * checkRun(BUILTIN_PROFILES["CHIRALITY_LENS"], {
 *   runStatus: "SUCCESS",
 *   statusBefore: "SEMANTIC_READY",
 *   statusAfter: "SEMANTIC_READY",
 *   outputs: ["_SEMANTIC_LENSING.md", "_CONTEXT.md"],
 * });
 * // ["output _CONTEXT.md is not among CHIRALITY_LENS's PRIMARY_OUTPUTS (_SEMANTIC_LENSING.md)"]
 * ```
 */
export function checkRun(profile: AgentProfile | undefined, facts: RunFacts): string[] {
  const notes: string[] = [];
  const { statusBefore: before, statusAfter: after } = facts;
  if (profile) {
    const allowed = profile.primaryOutputs.map(globToRegExp);
    for (const output of facts.outputs) {
      if (RUNREC_FILES.test(output)) continue;
      const outside = output.startsWith("../") || output === ".." || output.startsWith("/") ||
        /^[A-Za-z]:[\\/]/.test(output);
      if (outside) {
        if (profile.writeScope === "deliverable-local") {
          notes.push(
            `output ${output} is outside the deliverable folder (${profile.name}'s WRITE_SCOPE ` +
              `is deliverable-local)`,
          );
        }
      } else if (allowed.length > 0 && !allowed.some((re) => re.test(output))) {
        // In the folder: not "outside", which says the folder's bounds were crossed (above).
        notes.push(
          `output ${output} is not among ${profile.name}'s PRIMARY_OUTPUTS (${
            profile.primaryOutputs.join(", ")
          })`,
        );
      }
    }
  }
  const lifecycle = lifecycleProblems({
    RunStatus: facts.runStatus,
    StatusBefore: before,
    StatusAfter: after,
  });
  notes.push(...lifecycle.map((p) => p.message));
  // A change to or from TBD is not judged (docs/AGENT_PROTOCOL.md §4): one end is unknown.
  const judged = before !== after && after !== TBD && before !== TBD;
  if (profile && judged && isLifecycleTransition(before, after)) {
    const mayMake = profile.transitions.some(([f, t]) => f === before && t === after);
    if (!mayMake) {
      const may = profile.transitions.length === 0
        ? "it makes no state change"
        : `it may make ${profile.transitions.map(([f, t]) => `${f} → ${t}`).join(", ")}`;
      notes.push(
        `_STATUS.md changed ${before} → ${after}, a change ${profile.name} may not make (${may})`,
      );
    }
  }
  if (facts.claimedStatusAfter !== undefined && facts.claimedStatusAfter !== after) {
    notes.push(
      `claimed StatusAfter ${facts.claimedStatusAfter} disagrees with _STATUS.md (${after}); ` +
        `_STATUS.md recorded`,
    );
  }
  return notes;
}
