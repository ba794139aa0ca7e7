/**
 * mod.ts as a library user meets it: the entry points a Deno script needs
 * are exported (verify and its `--since` check among them), the internals
 * the CLI shares between modules are not, and every example `deno doc
 * mod.ts` shows imports from the package, not from a path inside it. (The
 * gate runs mod.ts's own examples with `deno test --doc mod.ts`.)
 *
 * @module
 */
import { join } from "node:path";
import * as api from "../mod.ts";
import { assert, assertEquals } from "./assert.ts";

const ROOT = join(import.meta.dirname!, "..");

Deno.test("mod.ts exports what a script needs to record, read, validate, verify (also --since), annotate, check staleness, hash and export", () => {
  const needed = [
    "recordRun",
    "emitRecord",
    "startRun",
    "finishRun",
    "finishPendingRun",
    "withRun",
    "readRecords",
    "checkRecordFile",
    "resolveTargets",
    "verifyRecordFile",
    "verifyHistories",
    "verifyHistory",
    "annotationsIn",
    "annotationsOf",
    "annotationsFor",
    "appendAnnotation",
    "checkStaleness",
    "governedInputs",
    "inputContextSha",
    "hashFile",
    "collectRuns",
    "openLineageEvents",
    "provDocument",
    "sortedJson",
    "validateRecord",
  ];
  const exported = api as Record<string, unknown>;
  const missing = needed.filter((name) => typeof exported[name] !== "function");
  assertEquals(missing, []);
  for (const error of ["InputError", "CheckFailure", "WriteError", "LockRefusedError"]) {
    const made = exported[error];
    assert(typeof made === "function" && made.prototype instanceof Error, `${error} exported`);
  }
  assert(Array.isArray(api.FIELDS) && api.FIELDS.length === api.COLUMNS.length, "FIELDS");
});

Deno.test("mod.ts keeps the modules' internals out: pending-run claims, lock and hash tuning, spool plumbing, record-building steps", () => {
  const internals = [
    "claimHolder",
    "takeOverClaim",
    "releaseClaim",
    "keepReapedRun",
    "savePendingRun",
    "outsidePendingFolder",
    "processState",
    "pidAlive",
    "checkJob",
    "JS_BUDGET",
    "WRITE_GRACE_MS",
    "privateFolderProblem",
    "replayInto",
    "readCanonicalCell",
    "markdownLines",
    "finishClaimed",
    // Names that said too little beside the public ones (startRun, recordRun).
    "runStart",
    "captureStart",
    "writeRun",
    // They are about pending runs' ids, not RunIDs: isRunId("RUN-DEL-…") was false.
    "isRunId",
    "newRunId",
  ];
  const leaked = internals.filter((name) => name in api);
  assertEquals(leaked, []);
});

Deno.test("every function and class of mod.ts has an example, each imports from @runrec/runrec, and every {@link} of its docs names a symbol mod.ts exports (trial-lib F7)", async () => {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", "mod.ts"],
    cwd: ROOT,
  }).output();
  assertEquals(code, 0, new TextDecoder().decode(stderr));
  const doc = JSON.parse(new TextDecoder().decode(stdout));
  const [module] = Object.values(doc.nodes) as {
    symbols: {
      name: string;
      declarations: { kind: string; jsDoc?: { tags?: { kind: string; doc?: string }[] } }[];
    }[];
  }[];
  const withoutExample: string[] = [];
  const internalImports: string[] = [];
  for (const symbol of module.symbols) {
    for (const declaration of symbol.declarations) {
      const examples = (declaration.jsDoc?.tags ?? []).filter((tag) => tag.kind === "example");
      if (examples.length === 0 && ["function", "class"].includes(declaration.kind)) {
        withoutExample.push(symbol.name);
      }
      for (const example of examples) {
        for (const [, from] of (example.doc ?? "").matchAll(/\bfrom "([^"]+)"/g)) {
          if (from !== "@runrec/runrec") internalImports.push(`${symbol.name}: ${from}`);
        }
      }
    }
  }
  assertEquals(withoutExample, []);
  assertEquals(internalImports, []);
  // A link a reader of the package's docs cannot follow: internal names go in code spans.
  const exported = new Set(module.symbols.map((symbol) => symbol.name));
  const unfollowable = [...JSON.stringify(module.symbols).matchAll(/\{@link(?:code)? (\w+)/g)]
    .map(([, name]) => name).filter((name) => !exported.has(name));
  assertEquals([...new Set(unfollowable)], []);
  assert(module.symbols.length > 0, "deno doc listed no symbol");
});

Deno.test("the facets' _schemaURL names the schema's path in the published package, and docs/EXPORT.md says the URL resolves only once published", async () => {
  const { FACETS_SCHEMA_URL, PRODUCER } = await import("../src/export/openlineage.ts");
  assert(FACETS_SCHEMA_URL.startsWith(`${PRODUCER}/`), FACETS_SCHEMA_URL);
  const path = FACETS_SCHEMA_URL.slice(PRODUCER.length + 1);
  const schema = JSON.parse(Deno.readTextFileSync(join(ROOT, path)));
  assertEquals(schema.$id, FACETS_SCHEMA_URL);
  const deno = JSON.parse(Deno.readTextFileSync(join(ROOT, "deno.json")));
  assert(
    (deno.publish.include as string[]).some((entry) => path.startsWith(entry)),
    `${path} is not published`,
  );
  const docs = Deno.readTextFileSync(join(ROOT, "docs/EXPORT.md")).replaceAll("\n", " ");
  assert(docs.includes("the `jsr.io` URLs do not resolve"), "EXPORT.md: unpublished URLs");
});
