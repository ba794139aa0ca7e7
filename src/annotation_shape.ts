/**
 * What `runrec annotate` writes in every field but its RunID, timestamp,
 * host and Notes, so that `validate` can tell its annotations from a record
 * that only carries their AgentName (written by another tool, or by a runrec
 * before writers refused the name). Readers take both as annotations.
 *
 * A leaf module: the reader runs it in its check workers, which must not load
 * the annotation writer (./annotations.ts) and all it imports.
 *
 * @module
 */
import { AGENT_TYPE, type RunRecord, TBD } from "./schema.ts";

/**
 * The AgentName of annotation records (./annotations.ts's `ANNOTATOR`), which
 * every other writer refuses.
 */
export const ANNOTATION_AGENT = "RUNREC_ANNOTATE";

/** The text fields `runrec annotate` always writes the same way, and their values. */
const ANNOTATE_WRITES: Partial<Record<keyof RunRecord, string>> = {
  AgentType: AGENT_TYPE,
  RunDuration: "PT0S",
  RunStatus: "SKIPPED",
  RunPassDirective: "ANNOTATE",
  InputContextSHA: TBD,
  StatusBefore: TBD,
  StatusAfter: TBD,
  ErrorSummary: "",
  GitHead: "",
};

/** The list and map fields `runrec annotate` always writes empty. */
const ANNOTATE_LEAVES_EMPTY = ["InputFiles", "OutputFiles", "InputHashes", "OutputHashes"] as const;

/**
 * Why a record named {@linkcode ANNOTATION_AGENT} cannot have been written by
 * `runrec annotate` (the first field that differs, and one line naming every
 * difference), or `undefined` for any other record and for one annotate could
 * have written. The Notes are only checked to begin as every annotation's do.
 *
 * @example
 * ```ts
 * import { forgedAnnotationProblem } from "./annotation_shape.ts";
 * declare const record: import("./schema.ts").RunRecord;
 * forgedAnnotationProblem({ ...record, AgentName: "4_DOCUMENTS" }); // undefined
 * forgedAnnotationProblem({ ...record, AgentName: "RUNREC_ANNOTATE", RunPassDirective: "" });
 * // { field: "RunPassDirective", message: "a RUNREC_ANNOTATE record runrec annotate did not write (RunPassDirective not as annotate writes them) ..." }
 * ```
 */
export function forgedAnnotationProblem(
  record: RunRecord,
): { field: string; message: string } | undefined {
  if (record.AgentName !== ANNOTATION_AGENT) return undefined;
  const differences: string[] = [];
  for (const [field, value] of Object.entries(ANNOTATE_WRITES)) {
    if (record[field as keyof RunRecord] !== value) differences.push(field);
  }
  for (const field of ANNOTATE_LEAVES_EMPTY) {
    if (Object.keys(record[field]).length > 0) differences.push(field);
  }
  if (!record.Notes.startsWith("annotates=RUN-")) differences.push("Notes");
  if (differences.length === 0) return undefined;
  return {
    field: differences[0],
    message: `a ${ANNOTATION_AGENT} record runrec annotate did not write (` +
      `${
        differences.join(", ")
      } not as annotate writes them): log, show, stale and export may take ` +
      `it as an annotation; only runrec annotate writes ${ANNOTATION_AGENT} records`,
  };
}
