import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { firstLink, parseReferences, type Reference, resolveReference } from "../src/references.ts";
import { seededRandom } from "./seed.ts";
import { governedInputs, relativePath } from "../src/inputs.ts";
import { hashFile } from "../src/hash.ts";
import { git, tempDir } from "./fixtures.ts";

/** The single reference one bullet line yields, or undefined. */
function only(line: string): Pick<Reference, "kind" | "target"> | undefined {
  const refs = parseReferences(line + "\n");
  if (refs.length > 1) throw new Error(`expected at most one reference, got ${refs.length}`);
  return refs[0] && { kind: refs[0].kind, target: refs[0].target };
}

const path = (target: string) => ({ kind: "path", target });

Deno.test("rule 1: the target of the first Markdown link", () => {
  deepStrictEqual(
    only("- [Decomposition Document](../../../_Decomposition/Project_Decomposition.md)"),
    path("../../../_Decomposition/Project_Decomposition.md"),
  );
  // A link wins over inline code and Location:, and needs no path look.
  deepStrictEqual(only("- `a/b.md` [x](Plan) — Location: ../c.md"), path("Plan"));
  deepStrictEqual(only("- [Spec](<../My Spec.md>)"), path("../My Spec.md"));
  deepStrictEqual(only('- [Spec](../spec.md "the title")'), path("../spec.md"));
  deepStrictEqual(only("- [Spec](https://example.org/spec)"), {
    kind: "url",
    target: "https://example.org/spec",
  });
  deepStrictEqual(only("- [Spec](TBD)"), { kind: "placeholder", target: "TBD" });
  strictEqual(only("- [Section](#scope)"), undefined);
});

Deno.test("rule 2: the first inline code that looks like a path", () => {
  deepStrictEqual(
    only("- `_Decomposition/Project_Decomposition.md` — SOW-002 scope definition"),
    path("_Decomposition/Project_Decomposition.md"),
  );
  // Only the first code span counts, as in the host tool: a later one is prose.
  strictEqual(only("- `SOW-002` is defined in `../Scope.md`."), undefined);
  deepStrictEqual(only("- see `notes.yaml`; and more"), path("notes.yaml"));
  // Code that is no path falls through to Location: and the first word.
  deepStrictEqual(only("- `SOW-002` — Location: ../x.pdf — text"), path("../x.pdf"));
  strictEqual(only("- `SOW-002` and `OBJ-007` only"), undefined);
});

Deno.test("rule 3: the text after Location: up to ' —'", () => {
  deepStrictEqual(
    only("- Standard ABC — Location: ../../0_References/abc.pdf — relevance text"),
    path("../../0_References/abc.pdf"),
  );
  deepStrictEqual(only("- Standard ABC — Location: ../refs/abc.pdf"), path("../refs/abc.pdf"));
  deepStrictEqual(only("- Standard ABC — location: ../refs/abc.pdf."), path("../refs/abc.pdf"));
  deepStrictEqual(only("- Standard ABC — Location: TBD — pending"), {
    kind: "placeholder",
    target: "TBD",
  });
  deepStrictEqual(only("- Standard ABC — Location: location TBD"), {
    kind: "placeholder",
    target: "location TBD",
  });
  // A Location value that is no path falls through to the first word.
  strictEqual(only("- Standard ABC — Location: the library — text"), undefined);
});

Deno.test("rule 4: the first word when it looks like a path", () => {
  deepStrictEqual(only("- ../../0_References/ — package references"), path("../../0_References/"));
  deepStrictEqual(only("- Guidance.md, for context"), path("Guidance.md"));
  deepStrictEqual(only("- ./local.txt; see also"), path("./local.txt"));
  deepStrictEqual(only("- /abs/file.bin"), path("/abs/file.bin"));
  deepStrictEqual(only("- ~/refs/file.pdf"), path("~/refs/file.pdf"));
  deepStrictEqual(only("* docs/PLAN.md"), path("docs/PLAN.md"));
  strictEqual(only("- free text about the plan.md file"), undefined);
  strictEqual(only("- Readme"), undefined);
});

Deno.test("every document extension of the looks-like-a-path rule", () => {
  for (const ext of ["md", "txt", "csv", "json", "yml", "yaml", "py", "ts", "tsx", "js", "mjs"]) {
    deepStrictEqual(only(`- NAME.${ext.toUpperCase()} text`), path(`NAME.${ext.toUpperCase()}`));
  }
  strictEqual(only("- NAME.pdf text"), undefined);
});

Deno.test("#fragment and ?query are ignored; trailing . , ; dropped once", () => {
  deepStrictEqual(only("- [S](../Spec.md#section-2)"), path("../Spec.md"));
  deepStrictEqual(only("- [S](../Spec.md?plain=1#L3)"), path("../Spec.md"));
  deepStrictEqual(only("- `../Spec.md#top`"), path("../Spec.md"));
  deepStrictEqual(only("- [S](../Spec.md.)"), path("../Spec.md"));
  deepStrictEqual(only("- [S](../Spec.md;)"), path("../Spec.md"));
});

Deno.test("scheme: URLs are external; a Windows drive letter is a path", () => {
  deepStrictEqual(only("- https://example.org/spec — external, not hashable"), {
    kind: "url",
    target: "https://example.org/spec",
  });
  deepStrictEqual(only("- [F](file:///etc/hosts)"), { kind: "url", target: "file:///etc/hosts" });
  deepStrictEqual(only("- [M](mailto:a@b.org)"), { kind: "url", target: "mailto:a@b.org" });
  deepStrictEqual(only("- C:\\refs\\abc.md"), path("C:\\refs\\abc.md"));
  deepStrictEqual(only("- [W](C:/refs/abc.pdf)"), path("C:/refs/abc.pdf"));
});

Deno.test("only bullets are references; ContentHash sub-bullets are metadata", () => {
  const text = [
    "# References: DEL-01-02 Some Deliverable", // 1
    "", // 2
    "## Applicable References", // 3
    "- [Decomposition Document](../../../_Decomposition/Project_Decomposition.md)", // 4
    "  - ContentHash: `../../../not/a/reference.md`", // 5
    "  * contenthash: TBD", // 6
    "See ../../paragraph/not/a/bullet.md", // 7
    "1. ../numbered/list.md", // 8
    "- `_Decomposition/Project_Decomposition.md` — SOW-002 scope definition", // 9
    "- Standard ABC — Location: ../../0_References/abc.pdf — relevance text\r", // 10
    "- https://example.org/spec — external, not hashable", // 11
    "", // 12
    "## Notes", // 13
    "- free text", // 14
    "    - nested/indented.md", // 15
  ].join("\n");
  deepStrictEqual(parseReferences(text), [
    {
      line: 4,
      text: "[Decomposition Document](../../../_Decomposition/Project_Decomposition.md)",
      kind: "path",
      target: "../../../_Decomposition/Project_Decomposition.md",
    },
    {
      line: 9,
      text: "`_Decomposition/Project_Decomposition.md` — SOW-002 scope definition",
      kind: "path",
      target: "_Decomposition/Project_Decomposition.md",
    },
    {
      line: 10,
      text: "Standard ABC — Location: ../../0_References/abc.pdf — relevance text",
      kind: "path",
      target: "../../0_References/abc.pdf",
    },
    {
      line: 11,
      text: "https://example.org/spec — external, not hashable",
      kind: "url",
      target: "https://example.org/spec",
    },
    { line: 15, text: "nested/indented.md", kind: "path", target: "nested/indented.md" },
  ]);
});

Deno.test("resolveReference: references folder, then git root, then execution root", async () => {
  const repo = await tempDir({ prefix: "runrec_refs_" });
  try {
    const execRoot = join(repo, "examples", "proj");
    const delDir = join(execRoot, "PKG-01_P", "1_Working", "DEL-01-02_D");
    await Deno.mkdir(delDir, { recursive: true });
    await Deno.mkdir(join(repo, "docs"));
    await Deno.mkdir(join(execRoot, "docs"));
    await Deno.writeTextFile(join(repo, "docs", "ONLY_GIT.md"), "git");
    await Deno.writeTextFile(join(repo, "docs", "BOTH.md"), "git");
    await Deno.writeTextFile(join(execRoot, "docs", "BOTH.md"), "exec");
    await Deno.writeTextFile(join(execRoot, "docs", "LOCAL.md"), "exec");
    await Deno.mkdir(join(delDir, "docs"));
    await Deno.writeTextFile(join(delDir, "docs", "LOCAL.md"), "local");
    const places = { referencesDir: delDir, executionRoot: execRoot, gitRoot: repo };

    strictEqual(resolveReference("docs/LOCAL.md", places), join(delDir, "docs", "LOCAL.md"));
    // The host tool's order: the git root before runrec's execution root.
    strictEqual(resolveReference("docs/BOTH.md", places), join(repo, "docs", "BOTH.md"));
    strictEqual(resolveReference("docs/ONLY_GIT.md", places), join(repo, "docs", "ONLY_GIT.md"));
    strictEqual(resolveReference("docs/ONLY_GIT.md", { referencesDir: delDir }), undefined);
    strictEqual(
      resolveReference("../../../docs/BOTH.md", places),
      join(execRoot, "docs", "BOTH.md"),
    );
    strictEqual(resolveReference("docs", places), join(delDir, "docs"));
    strictEqual(resolveReference("docs/NONE.md", places), undefined);
    const absolute = join(repo, "docs", "BOTH.md");
    strictEqual(resolveReference(absolute, { referencesDir: delDir }), absolute);
    strictEqual(resolveReference(join(repo, "nope.md"), places), undefined);

    const oldHome = Deno.env.get("HOME");
    Deno.env.set("HOME", repo);
    try {
      strictEqual(resolveReference("~/docs/BOTH.md", places), join(repo, "docs", "BOTH.md"));
      strictEqual(resolveReference("~/docs/LOCAL.md", places), undefined);
    } finally {
      if (oldHome === undefined) Deno.env.delete("HOME");
      else Deno.env.set("HOME", oldHome);
    }
  } finally {
    await Deno.remove(repo, { recursive: true });
  }
});

/**
 * A git work tree holding a nested example project, as the host's repository
 * does: `INIT.md` at both roots, a folder linked from inside the deliverable.
 */
async function hostTree(repo: string) {
  const execRoot = join(repo, "examples", "proj");
  const del = join(execRoot, "PKG-01_P", "1_Working", "DEL-01-02_D");
  const files: Record<string, string> = {
    "INIT.md": "repo init",
    "examples/proj/INIT.md": "example init",
    "examples/proj/_Decomposition/D.md": "decomposition",
    "examples/proj/PKG-01_P/1_Working/x.md": "x",
    "examples/proj/PKG-01_P/1_Working/y.md": "y",
    "examples/proj/PKG-01_P/1_Working/DEL-01-02_D/z.md": "z beside the link",
    "elsewhere/z.md": "z beside the link's target",
    "elsewhere/deep/w.md": "w",
    // Link targets CommonMark writes with escapes or parentheses.
    "examples/proj/PKG-01_P/1_Working/DEL-01-02_D/c d.md": "c d",
    "examples/proj/PKG-01_P/1_Working/DEL-01-02_D/e%20f.md": "e%20f, literally",
    "examples/proj/PKG-01_P/1_Working/DEL-01-02_D/e f.md": "e f",
    "examples/proj/PKG-01_P/1_Working/DEL-01-02_D/file(1).md": "file(1).md",
    "examples/proj/PKG-01_P/1_Working/DEL-01-02_D/file(2": "file(2, literally",
    "examples/proj/PKG-01_P/1_Working/DEL-01-02_D/file(2).md": "file(2).md",
    "examples/proj/PKG-01_P/1_Working/DEL-01-02_D/\u00FCber.md": "über",
    "examples/proj/PKG-01_P/0_References/sub dir/r.md": "r",
  };
  await Deno.mkdir(repo, { recursive: true });
  await git(repo, "init", "-q");
  for (const [path, text] of Object.entries(files)) {
    await Deno.mkdir(join(repo, path, ".."), { recursive: true });
    await Deno.writeTextFile(join(repo, path), text);
  }
  await Deno.symlink(join(repo, "elsewhere", "deep"), join(del, "linked"));
  return { del };
}

const PKG = "examples/proj/PKG-01_P";
const DEL = `${PKG}/1_Working/DEL-01-02_D`;

Deno.test("table: each _REFERENCES.md line shape names the files the host tool names", async () => {
  // Files relative to the git work tree (repo).
  const table: { line: string; files: string[] }[] = [
    { line: "- [D](../../../_Decomposition/D.md)", files: ["examples/proj/_Decomposition/D.md"] },
    { line: "- `../x.md` — text", files: ["examples/proj/PKG-01_P/1_Working/x.md"] },
    {
      line: "- Standard — Location: ../x.md — text",
      files: ["examples/proj/PKG-01_P/1_Working/x.md"],
    },
    { line: "- ../y.md — first word", files: ["examples/proj/PKG-01_P/1_Working/y.md"] },
    // A `TBD` code span names nothing itself; the Location: path still counts.
    { line: "- `TBD` — Location: ../x.md", files: ["examples/proj/PKG-01_P/1_Working/x.md"] },
    // SourceLocation: is a location too.
    {
      line: "- Standard — SourceLocation: ../y.md — text",
      files: ["examples/proj/PKG-01_P/1_Working/y.md"],
    },
    // The host's own template: a later path-like code span is prose, not the location.
    {
      line: "- `REQ-01` — Location: ../x.md — Relevance: see `../y.md`",
      files: ["examples/proj/PKG-01_P/1_Working/x.md"],
    },
    // A lone CR ends a line: two references.
    {
      line: "- ../x.md\r- ../y.md",
      files: ["examples/proj/PKG-01_P/1_Working/x.md", "examples/proj/PKG-01_P/1_Working/y.md"],
    },
    // `..` after a linked folder leaves the link's target, as opening the path does.
    { line: "- linked/../z.md", files: ["elsewhere/z.md"] },
    {
      line: "- `linked/w.md`",
      files: ["examples/proj/PKG-01_P/1_Working/DEL-01-02_D/linked/w.md"],
    },
    // A bare path at both roots: the git root's, as the host tool resolves it.
    { line: "- INIT.md", files: ["INIT.md"] },
    // Only at the execution root: runrec's own fallback.
    { line: "- `_Decomposition/D.md`", files: ["examples/proj/_Decomposition/D.md"] },
    // A link target read literally, as the host tool reads it, when that names a file;
    // else percent-decoded (UTF-8), or with balanced parentheses, as CommonMark reads it.
    { line: "- [c](c%20d.md)", files: [`${DEL}/c d.md`] },
    { line: "- [e](e%20f.md)", files: [`${DEL}/e%20f.md`] },
    { line: "- [e](<e f.md>)", files: [`${DEL}/e f.md`] },
    { line: "- [p](file(1).md)", files: [`${DEL}/file(1).md`] },
    { line: "- [p](file(2).md)", files: [`${DEL}/file(2`] },
    { line: "- [u](%C3%BCber.md) — UTF-8", files: [`${DEL}/\u00FCber.md`] },
    { line: "- [s](../../0_References/sub%20dir/)", files: [`${PKG}/0_References/sub dir/r.md`] },
    { line: "- `TBD` — pending", files: [] },
    { line: "- Standard — Location: TBD", files: [] },
    { line: "- https://example.org/spec — external", files: [] },
    { line: "- `REQ-01` and `REQ-02` only", files: [] },
  ];
  const repo = await tempDir({ prefix: "runrec_refs_table_" });
  try {
    const { del } = await hostTree(repo);
    // Every row is checked; the failures are listed together.
    const failures: string[] = [];
    for (const { line, files } of table) {
      await Deno.writeTextFile(join(del, "_REFERENCES.md"), `# References\n\n${line}\n`);
      const { hashes } = await governedInputs(del, []);
      const named = Object.keys(hashes).filter((key) => key !== "_REFERENCES.md");
      const expected = files.map((file) => relativePath(del, join(repo, file))).sort();
      if (JSON.stringify(named) !== JSON.stringify(expected)) {
        failures.push(`${JSON.stringify(line)}: named ${named.join(", ")}; expected ${expected}`);
        continue;
      }
      for (const file of files) {
        // The bytes of that very file, not of a namesake elsewhere.
        const key = relativePath(del, join(repo, file));
        if (hashes[key] !== await hashFile(join(repo, file))) {
          failures.push(`${JSON.stringify(line)}: ${key} has another file's hash`);
        }
      }
    }
    deepStrictEqual(failures, []);
  } finally {
    await Deno.remove(repo, { recursive: true });
  }
});

Deno.test("a link target found only by another reading is noted; one found by none names the link", async () => {
  deepStrictEqual(parseReferences('- [x](a%20(1).md "t")\n')[0].readings, [
    "a%20(1).md",
    "a (1",
    "a (1).md",
  ]);
  strictEqual(parseReferences("- [x](plain.md)\n")[0].readings, undefined);
  const repo = await tempDir({ prefix: "runrec_refs_readings_" });
  try {
    const { del } = await hostTree(repo);
    await Deno.writeTextFile(
      join(del, "_REFERENCES.md"),
      "# References\n\n- [c](c%20d.md)\n- [g](gone%20(1).md)\n",
    );
    const { hashes, notes } = await governedInputs(del, []);
    deepStrictEqual(notes, [
      "_REFERENCES.md line 3: link target c%20d.md not found: read as c d.md",
      "_REFERENCES.md line 4: gone%20(1 not found (nor gone%20(1).md, gone (1, gone (1).md)",
    ]);
    deepStrictEqual(Object.keys(hashes), ["_REFERENCES.md", "c d.md", "gone%20(1"]);
  } finally {
    await Deno.remove(repo, { recursive: true });
  }
});

Deno.test("firstLink finds what the link pattern finds, in one pass (a line of thousands of [ took seconds)", () => {
  const pattern = /\[[^\]]+\]\(([^)]+)\)/;
  const random = seededRandom("firstLink");
  const alphabet = "[]()a ";
  for (let i = 0; i < 20_000; i++) {
    const length = Math.floor(random() * 16);
    let text = "";
    for (let k = 0; k < length; k++) text += alphabet[Math.floor(random() * alphabet.length)];
    const want = pattern.exec(text);
    const got = firstLink(text);
    deepStrictEqual(
      got && [got.index, got[0], got[1]],
      want && [want.index, want[0], want[1]],
      JSON.stringify(text),
    );
  }
  const started = performance.now();
  strictEqual(firstLink("[".repeat(200_000)), null);
  strictEqual(firstLink(`${"[a]".repeat(100_000)}`), null);
  strictEqual(firstLink(`${"[".repeat(100_000)}a](x)`)?.[1], "x");
  const ms = performance.now() - started;
  strictEqual(ms < 2_000, true, `${ms} ms`);
});
