/**
 * The marker `<id>.command` that `exec` keeps beside its run's file while the
 * command it runs lives: `reap` leaves such a run pending while the command
 * runs on (exec killed), and removes the markers whose run has no file.
 *
 * @module
 */
import { basename, dirname, join } from "./path.ts";
import { fileNamesIn } from "./state_folder.ts";
import { FILE, isRunId } from "./run_ids.ts";
import { claimHost } from "./run_claims.ts";
import { markerHolderState, readMarker } from "./finish_markers.ts";

/** The end of the name of the marker `exec` keeps beside its run's file while CMD runs. */
const COMMAND_SUFFIX = ".command";

/** The marker naming the command of the run whose file (or claim) is `runFile`. */
function commandMarkerPath(runFile: string): string {
  const id = FILE.exec(basename(runFile))?.[1] ?? basename(runFile);
  return join(dirname(runFile), `${id}${COMMAND_SUFFIX}`);
}

/**
 * Writes beside the run's file `runFile` the marker `<id>.command` (`pid@host`), naming this
 * process until {@linkcode nameRunCommand} names the command `exec` starts: `exec` killed, the
 * command runs on (in a process group of its own), and `reap` leaves the run pending while it does
 * ({@linkcode runCommandRunning}). Written before the command starts: a file made in the folder
 * while the command deletes it makes its `rm -rf` fail ("Directory not empty"). Best effort: a
 * marker that cannot be written only loses that. Returns whether it was written.
 *
 * @example
 * ```ts
 * import { markRunCommand } from "./command_markers.ts";
 * markRunCommand("DEL-01-02_X/.runrec/pending/20260222T101500123Z-1a2b3c4d.json");
 * ```
 */
export function markRunCommand(runFile: string): boolean {
  // Written in place, not renamed from a temporary file: CMD may rename the folder (its label)
  // meanwhile, and the marker then moves with the run's file where a temporary would be left
  // behind. One cut short guards nothing: reap judges by exec's process alone, as without it.
  try {
    Deno.writeTextFileSync(commandMarkerPath(runFile), `${Deno.pid}@${claimHost()}`, {
      createNew: true,
    });
    return true;
  } catch {
    return false;
  }
}

/**
 * Names `pid`, the command `exec` started, in the marker {@linkcode markRunCommand} wrote for the
 * run whose file is `runFile`: in place, never making it again (the command may have removed the
 * folder, or renamed it). Returns whether it was written.
 *
 * @example
 * ```ts
 * import { nameRunCommand } from "./command_markers.ts";
 * nameRunCommand("DEL-01-02_X/.runrec/pending/20260222T101500123Z-1a2b3c4d.json", 4242);
 * ```
 */
export function nameRunCommand(runFile: string, pid: number): boolean {
  try {
    Deno.writeTextFileSync(commandMarkerPath(runFile), `${pid}@${claimHost()}`, { create: false });
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes the marker {@linkcode markRunCommand} wrote for the run whose file
 * (or claim) is `runFile`, if any: its command has ended, or its run was reaped.
 *
 * @example
 * ```ts
 * import { dropRunCommand } from "./command_markers.ts";
 * dropRunCommand("DEL-01-02_X/.runrec/pending/20260222T101500123Z-1a2b3c4d.json");
 * ```
 */
export function dropRunCommand(runFile: string): void {
  try {
    Deno.removeSync(commandMarkerPath(runFile));
  } catch { /* none, or removed by reap meanwhile */ }
}

/**
 * The pid of the command `exec` runs for the run whose file (or claim) is
 * `runFile`, when its marker names a process alive on this machine (not a
 * pid reused since: {@linkcode markerHolderState}); else `undefined`.
 *
 * @example
 * ```ts
 * import { runCommandRunning } from "./command_markers.ts";
 * runCommandRunning("DEL-01-02_X/.runrec/pending/20260222T101500123Z-1a2b3c4d.json"); // 4242
 * ```
 */
export function runCommandRunning(runFile: string): number | undefined {
  let marker: { holder: string; madeMs?: number };
  try {
    marker = readMarker(commandMarkerPath(runFile));
  } catch {
    return undefined;
  }
  return markerHolderState(marker) === "alive" ? Number(marker.holder.split("@")[0]) : undefined;
}

/**
 * Removes, unsaid, the markers `<id>.command` ({@linkcode markRunCommand}) in
 * `folder` whose run has no file there any more (recorded, reaped, or
 * flushed from the spool while its `exec` could not remove the marker: a
 * folder turned read-only, a kill): they guard nothing.
 *
 * @example
 * ```ts
 * import { removeOrphanCommandMarkers } from "./command_markers.ts";
 * removeOrphanCommandMarkers("DEL-01-02_X/.runrec/pending");
 * ```
 */
export function removeOrphanCommandMarkers(folder: string): void {
  const names = fileNamesIn(folder);
  const runs = new Set(names.map((name) => FILE.exec(name)?.[1]));
  for (const name of names) {
    const id = name.slice(0, -COMMAND_SUFFIX.length);
    if (!name.endsWith(COMMAND_SUFFIX) || !isRunId(id) || runs.has(id)) continue;
    try {
      Deno.removeSync(join(folder, name));
    } catch { /* removed meanwhile, or not ours to remove: left */ }
  }
}
