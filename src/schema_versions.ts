/**
 * The schema-version registry: which record versions this runrec reads, and
 * what it does with a newer one (docs/SCHEMA_EVOLUTION.md). Every record
 * line names its version in its first cell, so one file can mix versions.
 *
 * - a version in {@linkcode KNOWN_VERSIONS}: read in full;
 * - a newer minor version of a known major (`v1.1` here): additive, so its
 *   known columns are read and the cells it adds before RecordChecksum are
 *   kept as they were written, unread;
 * - any other version (a new major such as `v2.0`): refused with an error
 *   naming the version; nothing is guessed.
 *
 * @module
 */
import { COLUMNS, SCHEMA_VERSION } from "./schema.ts";

/** A schema version this runrec reads in full. */
export interface KnownVersion {
  /** As written in the SchemaVersion cell, e.g. `v1.0`. */
  version: string;
  /** Its columns in order, RecordChecksum last. */
  columns: readonly string[];
}

/** The versions read in full, newest last. Add a version here when SCHEMA.md gains one. */
export const KNOWN_VERSIONS: readonly KnownVersion[] = [
  { version: SCHEMA_VERSION, columns: COLUMNS },
];

/** How a record of one SchemaVersion is read. */
export type VersionReading =
  /** Read in full with these columns. */
  | { read: "known"; known: KnownVersion }
  /** A newer minor version: read as `known` (the newest of its major), extra cells kept. */
  | { read: "additive"; known: KnownVersion }
  /** Not read: `message` says why, naming the version. */
  | { read: "refused"; message: string };

/** `vMAJOR.MINOR`, numbers without leading zeros (`v01.0` is no version's spelling). */
const VERSION = /^v(0|[1-9][0-9]{0,3})\.(0|[1-9][0-9]{0,3})$/;

/**
 * How this runrec reads a record whose SchemaVersion cell is `version`.
 *
 * @example
 * ```ts
 * import { versionReading } from "./schema_versions.ts";
 * versionReading("v1.0").read; // "known"
 * versionReading("v1.1").read; // "additive"
 * versionReading("v2.0").read; // "refused"
 * ```
 */
export function versionReading(version: string): VersionReading {
  const exact = KNOWN_VERSIONS.find((k) => k.version === version);
  if (exact) return { read: "known", known: exact };
  const shown = JSON.stringify(version.slice(0, 40));
  const readable = KNOWN_VERSIONS.map((k) => k.version).join(", ");
  const match = VERSION.exec(version);
  if (!match) {
    return { read: "refused", message: `${shown} is not a schema version (vMAJOR.MINOR)` };
  }
  const [major, minor] = [Number(match[1]), Number(match[2])];
  const newest = KNOWN_VERSIONS.filter((k) => majorOf(k) === major).at(-1);
  if (newest && minor > minorOf(newest)) return { read: "additive", known: newest };
  const first = KNOWN_VERSIONS[0];
  const why = major > Math.max(...KNOWN_VERSIONS.map(majorOf))
    ? "a new major version needs a newer runrec"
    : major < majorOf(first) || (major === majorOf(first) && minor < minorOf(first))
    ? `it is older than ${first.version}, the first version of this schema: no runrec wrote it`
    : "no runrec wrote it";
  return {
    read: "refused",
    message: `${shown} is a schema version this runrec cannot read (it reads ${readable} ` +
      `and later minor versions of them); ${why}`,
  };
}

function majorOf(known: KnownVersion): number {
  return Number(VERSION.exec(known.version)![1]);
}

function minorOf(known: KnownVersion): number {
  return Number(VERSION.exec(known.version)![2]);
}

/** What an added column may be named, as SCHEMA.md names columns: a capital, then letters and digits. */
const ADDED_NAME = /^[A-Z][A-Za-z0-9]*$/;

/**
 * What is wrong with a header line of the additive shape (a known version's
 * columns, more columns, RecordChecksum last): `""` when nothing is,
 * `undefined` when the line has not that shape. An added column must have a
 * name of its own in the columns' style (SCHEMA.md 11.1): readers give its
 * cells under that name next to the known columns and runrec's own keys
 * (`invalidatedBy`, OpenLineage's `_producer`), so a repeated or other name
 * would hide a value.
 *
 * @example
 * ```ts
 * import { additiveHeaderFault } from "./schema_versions.ts";
 * import { COLUMNS } from "./schema.ts";
 * const header = (added: string) => [...COLUMNS.slice(0, -1), added, "RecordChecksum"].join(",");
 * additiveHeaderFault(header("ReviewedBy")); // ""
 * additiveHeaderFault(header("RunID")); // 'header line names the column "RunID" again, ...'
 * additiveHeaderFault(COLUMNS.join(",")); // undefined
 * ```
 */
export function additiveHeaderFault(line: string): string | undefined {
  const names = line.split(",");
  const known = KNOWN_VERSIONS.find(({ columns }) =>
    names.length > columns.length && names.at(-1) === columns.at(-1) &&
    columns.slice(0, -1).every((name, i) => names[i] === name)
  );
  if (known === undefined) return undefined;
  const rule = "an added column needs a name of its own, a capital letter then letters and " +
    "digits (SCHEMA.md 11.1); the cells under it are read by position (column" +
    `${known.columns.length}, ...)`;
  for (let i = known.columns.length - 1; i < names.length - 1; i++) {
    const shown = JSON.stringify(names[i].slice(0, 40));
    if (names.indexOf(names[i]) < i || names[i] === names.at(-1)) {
      return `header line names the column ${shown} again, as an added column: ${rule}`;
    }
    if (!ADDED_NAME.test(names[i])) {
      return `header line names an added column ${shown}, not a column name: ${rule}`;
    }
  }
  return "";
}

/**
 * Whether a header line is that of a newer additive version of a known one:
 * the known version's columns, more columns with names of their own
 * ({@linkcode additiveHeaderFault}), and RecordChecksum last. A writer of
 * such a version appends its header before its first record (SCHEMA.md
 * 11.3), and may start a file with it.
 *
 * @example
 * ```ts
 * import { isAdditiveHeader } from "./schema_versions.ts";
 * import { COLUMNS } from "./schema.ts";
 * isAdditiveHeader([...COLUMNS.slice(0, -1), "ReviewedBy", "RecordChecksum"].join(",")); // true
 * isAdditiveHeader([...COLUMNS.slice(0, -1), "_producer", "RecordChecksum"].join(",")); // false
 * ```
 */
export function isAdditiveHeader(line: string): boolean {
  return additiveHeaderFault(line) === "";
}
