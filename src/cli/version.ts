/**
 * What `runrec --version` prints: the version, and how this runrec was
 * installed, so a user (or a bug report) can tell a compiled binary from a
 * launcher over the bundle or a run from source.
 *
 * @module
 */
/** The version `runrec --version` prints. */
export const VERSION = "0.1.0";

/** The file `deno task install` writes beside the bundle it installs. */
export const INSTALL_MARKER = "install.json";

/** What `deno task install` records in {@linkcode INSTALL_MARKER}. */
export interface InstallMarker {
  /** The Deno binary the launchers run. */
  deno: string;
  /** That binary's version. */
  denoVersion: string;
  /** The checkout the bundle was built from. */
  source: string;
}

/**
 * `runrec <version> (<how it was installed>)`, for the program running now.
 *
 * @example
 * ```ts
 * import { versionLine } from "./version.ts";
 * versionLine(); // "runrec 0.1.0 (from source: /src/runrec/src/cli/main.ts, deno 2.9.6)"
 * ```
 */
export function versionLine(): string {
  const sandboxed = Deno.permissions.querySync({ name: "run" }).state === "granted"
    ? ""
    : "; sandboxed: files in the folder it starts in, no programs";
  return `runrec ${VERSION} (${installation()}${sandboxed})`;
}

/** A `file:` URL's path (`/C:/x` stays as it is: only shown, never opened). */
function pathOf(url: string | URL): string {
  return decodeURIComponent(new URL(url).pathname);
}

function installation(): string {
  if (Deno.build.standalone) return "compiled binary";
  const main = Deno.mainModule;
  if (!main.startsWith("file:")) return `run from ${main}`;
  if (main.endsWith(".ts")) {
    return `from source: ${pathOf(main)}, deno ${Deno.version.deno}`;
  }
  // The bundle's entry is <bundle>/cli/main.js; an installed copy has the marker beside cli/.
  const bundle = pathOf(new URL("..", main));
  try {
    const marker = JSON.parse(
      Deno.readTextFileSync(new URL(`../${INSTALL_MARKER}`, main)),
    ) as InstallMarker;
    return `launcher over the bundle in ${bundle}, deno ${marker.denoVersion} at ${marker.deno}`;
  } catch {
    return `bundle in ${bundle}, not installed, deno ${Deno.version.deno}`;
  }
}
