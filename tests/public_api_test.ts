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
import { tempDir } from "./fixtures.ts";

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
    "WASM_BUDGET",
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

/** A symbol of mod.ts as `deno doc --json` describes it. */
interface DocSymbol {
  name: string;
  declarations: {
    kind: string;
    jsDoc?: { doc?: string; tags?: { kind: string; doc?: string }[] };
  }[];
}

/** The symbols mod.ts exports, with their docs, as the package's documentation shows them. */
async function exportedSymbols(): Promise<DocSymbol[]> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", "mod.ts"],
    cwd: ROOT,
  }).output();
  assertEquals(code, 0, new TextDecoder().decode(stderr));
  const doc = JSON.parse(new TextDecoder().decode(stdout));
  const [module] = Object.values(doc.nodes) as { symbols: DocSymbol[] }[];
  assert(module.symbols.length > 0, "deno doc listed no symbol");
  return module.symbols;
}

/** The code of each example on the exported symbols, with the symbol's name. */
function examplesOf(symbols: DocSymbol[]): { name: string; code: string }[] {
  return symbols.flatMap((symbol) =>
    symbol.declarations.flatMap((declaration) =>
      (declaration.jsDoc?.tags ?? []).filter((tag) => tag.kind === "example").map((tag) => ({
        name: symbol.name,
        code: /```ts\n([^]*?)```/.exec(tag.doc ?? "")?.[1] ?? "",
      }))
    )
  );
}

Deno.test("every function and class of mod.ts has an example, each imports from @runrec/runrec, and every {@link} of its docs names a symbol mod.ts exports (trial-lib F7)", async () => {
  const module = { symbols: await exportedSymbols() };
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
});

/** The functions, classes and constants the modules of src/ export, by name. */
async function modulesExports(): Promise<Set<string>> {
  const names = new Set<string>();
  const folders = [join(ROOT, "src")];
  for (const folder of folders) {
    for await (const entry of Deno.readDir(folder)) {
      const path = join(folder, entry.name);
      if (entry.isDirectory) folders.push(path);
      else if (entry.name.endsWith(".ts")) {
        const text = await Deno.readTextFile(path);
        for (
          const [, name] of text.matchAll(
            /^export (?:async )?(?:function\*?|const|let|class) (\w+)/gm,
          )
        ) {
          names.add(name);
        }
      }
    }
  }
  return names;
}

Deno.test("the docs of mod.ts's exports name no function or constant a script cannot import: an internal one in a code span sent the reader into src/ (lib-40 F3)", async () => {
  const symbols = await exportedSymbols();
  const internal = await modulesExports();
  for (const name of Object.keys(api)) internal.delete(name);
  const named: string[] = [];
  for (const symbol of symbols) {
    const docs = [...JSON.stringify(symbol.declarations).matchAll(/"doc":"((?:[^"\\]|\\.)*)"/g)]
      .map(([, doc]) => doc).join(" ");
    for (const [, name] of docs.matchAll(/`(\w+)[`(]/g)) {
      if (internal.has(name)) named.push(`${symbol.name}: ${name}`);
    }
  }
  assertEquals([...new Set(named)], []);
});

Deno.test("the examples of mod.ts's exports run as written: none declares a value it does not make, and each that makes its own folder runs with the permissions README names (lib-40 F1)", async () => {
  const examples = examplesOf(await exportedSymbols());
  // `declare const records: ...` is no value: such an example cannot run, nor `deno test --doc` it.
  const declaring = examples.filter(({ code }) => /^declare /m.test(code)).map(({ name }) => name);
  assertEquals(declaring, []);
  const folder = await tempDir({ prefix: "runrec-examples-" });
  const importMap = join(folder, "import_map.json");
  const mod = new URL("../mod.ts", import.meta.url).href;
  await Deno.writeTextFile(importMap, JSON.stringify({ imports: { "@runrec/runrec": mod } }));
  const selfContained = examples.filter(({ code }) => code.includes("Deno.makeTempDir()"));
  assert(selfContained.length >= 4, `${selfContained.length} examples make their own folder`);
  for (const [i, { name, code }] of selfContained.entries()) {
    const script = join(folder, `${i}_${name}.ts`);
    await Deno.writeTextFile(script, code);
    const { code: exit, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-config",
        "--no-prompt",
        `--import-map=${importMap}`,
        "--allow-read",
        "--allow-write",
        "--allow-sys=hostname",
        "--deny-net",
        script,
      ],
      cwd: folder,
      stdout: "null",
      stderr: "piped",
    }).output();
    assertEquals(exit, 0, `${name}'s example: ${new TextDecoder().decode(stderr)}`);
  }
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
