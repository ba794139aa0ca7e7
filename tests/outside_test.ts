/**
 * Nothing is read outside the project: a governed input that resolves outside
 * the git work tree (else the execution root, else the deliverable folder) is
 * `TBD` with a note naming the rule, unless `--allow-outside`. Every shape is
 * made of real files, real links and a real `git init`.
 */
import { dirname, join } from "node:path";
import { assert, assertEquals, assertIncludes, assertMatch } from "./assert.ts";
import { isInsideProject, projectBounds } from "../src/project_bounds.ts";
import { readRecords } from "../src/reader.ts";
import { findGitRoot, RECORD_FILE } from "../src/deliverable.ts";
import { gitDirsOf } from "../src/git.ts";
import type { RunRecord } from "../src/schema.ts";
import { withRun } from "../src/run.ts";
import { runCli, runCliProcess } from "./cli.ts";
import { git, tempDir, writeTree } from "./fixtures.ts";

const SECRET = "secret outside the project\n";
const RULE =
  /is outside the (git work tree|execution root|deliverable folder): not read, TBD \(runrec reads no input outside the project; --allow-outside reads it\)/;

/** The SHA-256 of `SECRET`, as any reader of the file would compute it. */
async function secretHash(): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(SECRET));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * An outside folder holding `secret.md`, and a project beside it: an
 * execution root (`INIT.md`) with one deliverable, in a git work tree when
 * `git` is set.
 */
async function project(options: { git?: boolean; init?: boolean } = {}) {
  const base = await tempDir({ prefix: "runrec-outside-" });
  const outside = join(base, "outside");
  const root = join(base, "project");
  const del = join(root, "PKG-01_P", "1_Working", "DEL-01-02_Thing");
  await writeTree(outside, { "secret.md": SECRET, "folder/also.md": SECRET });
  await writeTree(del, { "_CONTEXT.md": "**DeliverableID:** DEL-01-02\n", "Datasheet.md": "x\n" });
  if (options.init !== false) await writeTree(root, { "INIT.md": "# Init\n", "Inside.md": "in\n" });
  if (options.git) {
    const git = await new Deno.Command("git", { args: ["init", "-q", root] }).output();
    assertEquals(git.code, 0);
  }
  return { base, outside, root, del };
}

async function hashJson(del: string, ...extra: string[]) {
  const out = await runCli(["hash", del, "--json", ...extra]);
  assertEquals(out.code, 0, out.stderr);
  return JSON.parse(out.stdout) as { InputHashes: Record<string, string>; Notes: string[] };
}

async function records(file: string): Promise<RunRecord[]> {
  const found: RunRecord[] = [];
  for await (const event of readRecords(file)) {
    if (event.kind === "record") found.push(event.record);
  }
  return found;
}

Deno.test("outside: /etc/shadow in _REFERENCES.md is not read; its hash is TBD with the rule named", async () => {
  const { del } = await project();
  await Deno.writeTextFile(join(del, "_REFERENCES.md"), "- /etc/shadow\n");
  const { InputHashes, Notes } = await hashJson(del);
  const key = Object.keys(InputHashes).find((k) => k.endsWith("etc/shadow"))!;
  assertEquals(InputHashes[key], "TBD");
  assert(Notes.some((n) => n.startsWith("_REFERENCES.md line 1: ") && RULE.test(n)), Notes.join());
  // The record an agent commits carries no hash of it either.
  const emit = await runCli(["emit", del, "--agent", "A", "--status", "SUCCESS"]);
  assertEquals(emit.code, 0, emit.stderr);
  const [record] = await records(join(del, RECORD_FILE));
  assertEquals(record.InputHashes[key], "TBD");
  assertMatch(record.Notes, RULE);
});

Deno.test("outside: each shape (absolute, .. past the root, ~, a link to a file or a folder, a link beneath a listed folder, a linked _REFERENCES.md) is TBD; --allow-outside reads each", async () => {
  const { outside, root, del } = await project();
  const secret = await secretHash();
  await Deno.symlink(join(outside, "secret.md"), join(del, "link.md"));
  await Deno.symlink(join(outside, "folder"), join(del, "linked-folder"));
  await Deno.mkdir(join(root, "Refs"));
  await Deno.symlink(join(outside, "secret.md"), join(root, "Refs", "out.md"));
  await Deno.writeTextFile(join(root, "Refs", "in.md"), "in\n");
  await Deno.writeTextFile(
    join(del, "_REFERENCES.md"),
    [
      `- ${join(outside, "secret.md")}`, // 1: absolute
      "- ../../../../outside/secret.md", // 2: `..` past the root
      "- ~/secret.md", // 3: the home folder
      "- link.md", // 4: a link pointing out
      "- linked-folder/", // 5: a link to a folder outside
      "- ../../../Refs/", // 6: a folder inside holding a link out
      "- ../../../Inside.md", // 7: inside, read
    ].join("\n") + "\n",
  );
  const env = { HOME: outside };
  const kept = await runCliProcess(["hash", del, "--json"], undefined, env);
  assertEquals(kept.code, 0, kept.stderr);
  const { InputHashes, Notes } = JSON.parse(kept.stdout);
  const expectTbd = [
    "../../../../outside/secret.md",
    "link.md",
    "linked-folder",
    "../../../Refs/out.md",
  ];
  for (const key of expectTbd) assertEquals(InputHashes[key], "TBD", key);
  assertEquals(Object.values(InputHashes).filter((h) => h === secret).length, 0);
  assertEquals(InputHashes["../../../Refs/in.md"].length, 64);
  assertEquals(InputHashes["../../../Inside.md"].length, 64);
  for (const line of [1, 2, 3, 4, 5, 6]) {
    assert(
      Notes.some((n: string) => n.startsWith(`_REFERENCES.md line ${line}: `) && RULE.test(n)),
      `line ${line}: ${Notes.join("\n")}`,
    );
  }
  assert(Notes.every((n: string) => !n.includes(outside)), "a note names this machine's path");

  const lifted = await runCliProcess(["hash", del, "--json", "--allow-outside"], undefined, env);
  const read = JSON.parse(lifted.stdout);
  for (const key of ["../../../../outside/secret.md", "link.md", "../../../Refs/out.md"]) {
    assertEquals(read.InputHashes[key], secret, key);
  }
  assertEquals(read.InputHashes["linked-folder/also.md"], secret);
  assert(read.Notes.every((n: string) => !RULE.test(n)), read.Notes.join());

  // A _REFERENCES.md that is itself a link out is not read, nor what it lists.
  await Deno.remove(join(del, "_REFERENCES.md"));
  await Deno.writeTextFile(join(outside, "refs.md"), "- secret.md\n- ../../../Inside.md\n");
  await Deno.symlink(join(outside, "refs.md"), join(del, "_REFERENCES.md"));
  const linked = await hashJson(del);
  assertEquals(linked.InputHashes["_REFERENCES.md"], "TBD");
  assertEquals(Object.keys(linked.InputHashes), ["_REFERENCES.md"]);
  assert(linked.Notes.some((n) => n.startsWith("_REFERENCES.md: ") && RULE.test(n)));
});

Deno.test("outside: --input paths are held to the rule; --allow-outside lifts it for emit, start and exec, one call each", async () => {
  const { outside, del } = await project();
  const secret = await secretHash();
  const input = join(outside, "secret.md");
  const key = "../../../../outside/secret.md";
  const file = join(del, RECORD_FILE);

  const kept = await runCli(["emit", del, "--agent", "A", "--status", "SUCCESS", "--input", input]);
  assertEquals(kept.code, 0, kept.stderr);
  const lifted = await runCli([
    ...["emit", del, "--agent", "A", "--status", "SUCCESS", "--input", input, "--allow-outside"],
  ]);
  assertEquals(lifted.code, 0, lifted.stderr);

  const start = await runCli(["start", del, "--agent", "B", "--input", input, "--allow-outside"]);
  assertEquals(start.code, 0, start.stderr);
  const finish = await runCli(["finish", start.stdout.trim(), "--status", "SUCCESS"]);
  assertEquals(finish.code, 0, finish.stderr);
  const startKept = await runCli(["start", del, "--agent", "B", "--input", input]);
  assertMatch(startKept.stderr, RULE);
  await runCli(["finish", startKept.stdout.trim(), "--status", "SUCCESS"]);

  const exec = await runCliProcess([
    ...["exec", del, "--agent", "C", "--input", input, "--allow-outside", "--", "true"],
  ]);
  assertEquals(exec.code, 0, exec.stderr);
  const execKept = await runCliProcess([
    "exec",
    del,
    "--agent",
    "C",
    "--input",
    input,
    "--",
    "true",
  ]);
  assertEquals(execKept.code, 0, execKept.stderr);

  const hashes = (await records(file)).map((r) => r.InputHashes[key]);
  assertEquals(hashes, ["TBD", secret, secret, "TBD", secret, "TBD"]);
});

Deno.test("outside: an --output outside the project (a path, a link) is TBD and noted; --allow-outside reads it in emit, finish, exec and withRun", async () => {
  const { outside, del } = await project({ git: true });
  const secret = await secretHash();
  const output = join(outside, "secret.md");
  await Deno.symlink(output, join(del, "link.md"));
  const key = "../../../../outside/secret.md";
  const file = join(del, RECORD_FILE);
  const OUTPUT_RULE =
    /is outside the git work tree: not read, TBD \(runrec reads no output outside the project; --allow-outside reads it\)/;
  const outputs = ["--output", output, "--output", "link.md"];

  for (const allow of [[], ["--allow-outside"]]) {
    const emit = await runCli([
      ...["emit", del, "--agent", "A", "--status", "SUCCESS", ...outputs, ...allow],
    ]);
    assertEquals(emit.code, 0, emit.stderr);
    const start = await runCli(["start", del, "--agent", "B", ...allow]);
    assertEquals(start.code, 0, start.stderr);
    const finish = await runCli(["finish", start.stdout.trim(), "--status", "SUCCESS", ...outputs]);
    assertEquals(finish.code, 0, finish.stderr);
    // exec finds its outputs itself: the link it wrote through.
    await Deno.writeTextFile(output, "old\n");
    const exec = await runCliProcess([
      ...["exec", del, "--agent", "C", ...allow, "--", "sh", "-c"],
      `printf 'secret outside the project\\n' > '${join(del, "link.md")}'`,
    ]);
    assertEquals(exec.code, 0, exec.stderr);
    await withRun(del, {
      agent: "D",
      allowOutside: allow.length > 0,
      onOutcome: () => {},
    }, (run) => {
      run.output(output);
      run.output("link.md");
    });
  }
  const written = await records(file);
  assertEquals(written.map((r) => r.AgentName), ["A", "B", "C", "D", "A", "B", "C", "D"]);
  for (const [i, record] of written.entries()) {
    const read = i >= 4;
    const want = read ? secret : "TBD";
    const named = record.AgentName === "C" ? ["link.md"] : [key, "link.md"];
    assertEquals(named.map((p) => record.OutputHashes[p]), named.map(() => want));
    const noted = record.Notes.split(" | ").filter((n) => OUTPUT_RULE.test(n));
    assertEquals(noted.length, read ? 0 : named.length, record.Notes);
    // exec's outputs were named by no --output: its notes say "output".
    if (record.AgentName === "C") assert(!record.Notes.includes("--output"), record.Notes);
    // The secret's hash is nowhere in a record kept from reading it.
    if (!read) assert(!JSON.stringify(record).includes(secret), record.Notes);
  }
});

Deno.test("outside: the root is the git work tree, else the execution root, else the deliverable folder, links resolved first", async () => {
  // In a git work tree: a file of the repository above the execution root is inside.
  const inGit = await project({ git: true });
  await Deno.writeTextFile(join(inGit.root, "..", "sibling.md"), "beside\n");
  const repoAbove = join(inGit.base, "repo");
  await Deno.mkdir(repoAbove);
  const bounds = projectBounds(inGit.del);
  assertEquals([bounds.kind, bounds.root], ["git work tree", await Deno.realPath(inGit.root)]);
  await Deno.writeTextFile(join(inGit.del, "_REFERENCES.md"), "- ../../../Inside.md\n");
  assertEquals((await hashJson(inGit.del)).InputHashes["../../../Inside.md"].length, 64);

  // The execution root when there is no git: its parent's files are outside.
  const noGit = await project();
  assertEquals(projectBounds(noGit.del).kind, "execution root");
  await Deno.writeTextFile(join(noGit.base, "beside.md"), "beside\n");
  await Deno.writeTextFile(join(noGit.del, "_REFERENCES.md"), "- ../../../../beside.md\n");
  const beside = await hashJson(noGit.del);
  assertEquals(beside.InputHashes["../../../../beside.md"], "TBD");
  assertMatch(beside.Notes.join("\n"), /outside the execution root/);

  // Neither: the deliverable folder itself bounds what is read.
  const bare = await project({ init: false });
  assertEquals(projectBounds(bare.del).kind, "deliverable folder");
  await Deno.writeTextFile(
    join(bare.del, "_REFERENCES.md"),
    "- ../../../Inside.md\n- Datasheet.md\n",
  );
  await Deno.writeTextFile(join(bare.root, "Inside.md"), "in\n");
  const alone = await hashJson(bare.del);
  assertEquals(alone.InputHashes["../../../Inside.md"], "TBD");
  assertEquals(alone.InputHashes["Datasheet.md"].length, 64);
  assertMatch(alone.Notes.join("\n"), /outside the deliverable folder/);

  // A deliverable reached through a link belongs to the project it really is in.
  const link = join(inGit.base, "shortcut");
  await Deno.symlink(inGit.del, link);
  assertEquals(projectBounds(link).root, bounds.root);
  assert(isInsideProject(join(link, "Datasheet.md"), bounds));
  assert(!isInsideProject(join(inGit.outside, "secret.md"), bounds));
  assert(!isInsideProject(join(bounds.root, "..", "project-other"), bounds));
  const through = await hashJson(link);
  assertEquals(through.InputHashes["../../../Inside.md"].length, 64);
  assertIncludes(
    JSON.stringify(projectBounds(join(inGit.base, "no-such-folder"))),
    "no-such-folder",
  );
});

Deno.test("outside: an empty .git folder (mkdir) between the deliverable and the repository is no repository, as git judges it: the references above it stay inside", async () => {
  const { root, del } = await project({ git: true });
  await Deno.writeTextFile(join(del, "_REFERENCES.md"), "- ../../../Inside.md\n");
  const empty = join(root, "PKG-01_P", ".git");
  await Deno.mkdir(empty);
  const top = await git(del, "rev-parse", "--show-toplevel"); // git passes over it
  assertEquals(projectBounds(del).root, await Deno.realPath(top));
  assertEquals((await hashJson(del)).InputHashes["../../../Inside.md"].length, 64);
  const emitted = await runCli(["emit", del, "--agent", "A", "--status", "SUCCESS"]);
  assertEquals(emitted.code, 0, emitted.stderr);
  const stale = await runCli(["stale", del]);
  assertEquals([stale.code, stale.stdout.includes("CLEAN")], [0, true], stale.stdout);
  assertEquals([...Deno.readDirSync(empty)], []); // nothing of runrec's put in it
  // One that is a repository's (HEAD, objects, refs) is one: the references are then outside it.
  await git(join(root, "PKG-01_P"), "init", "-q");
  assertEquals((await hashJson(del)).InputHashes["../../../Inside.md"], "TBD");
});

Deno.test("outside: the work tree's top is the folder git itself finds, for each shape of a .git below the repository's top", async () => {
  const base = await tempDir({ prefix: "runrec-dotgit-" });
  await git(base, "init", "-q");
  const other = join(base, "other-repo");
  await git(base, "init", "-q", other);
  const shapes: Record<string, (dotGit: string) => Promise<unknown>> = {
    "an empty folder": (dotGit) => Deno.mkdir(dotGit),
    "a folder with a HEAD only": async (dotGit) => {
      await writeTree(dotGit, { "HEAD": "ref: refs/heads/main\n" });
    },
    "a folder whose HEAD names nothing": async (dotGit) => {
      await writeTree(dotGit, { "HEAD": "nonsense\n", "objects/x": "", "refs/x": "" });
    },
    "a repository (git init)": (dotGit) => git(dirname(dotGit), "init", "-q"),
    "a link to a repository's git folder": (dotGit) => Deno.symlink(join(other, ".git"), dotGit),
    "a dangling link": (dotGit) => Deno.symlink(join(base, "nowhere"), dotGit),
    "a link to an empty folder": async (dotGit) => {
      await Deno.mkdir(join(base, "empty"), { recursive: true });
      await Deno.symlink(join(base, "empty"), dotGit);
    },
    // Its `commondir` (`../..`) is taken from where the link leads, as git takes it.
    "a link to a linked work tree's git folder": async (dotGit) => {
      const linked = join(other, ".git", "worktrees", "linked");
      await writeTree(linked, { "HEAD": "ref: refs/heads/linked\n", "commondir": "../..\n" });
      await Deno.symlink(linked, dotGit);
    },
    // A HEAD that is a link is judged by its target's name alone: this one is no branch's.
    "a HEAD linked to a file that names a branch": async (dotGit) => {
      await git(dirname(dotGit), "init", "-q");
      await Deno.writeTextFile(join(dotGit, "saved-HEAD"), "ref: refs/heads/main\n");
      await Deno.remove(join(dotGit, "HEAD"));
      await Deno.symlink("saved-HEAD", join(dotGit, "HEAD"));
    },
    // A detached HEAD is read as git reads an object id: hex digits of either case, from the start.
    "a detached HEAD in capitals": async (dotGit) => {
      await git(dirname(dotGit), "init", "-q");
      await Deno.writeTextFile(join(dotGit, "HEAD"), "ABCDEF0123".repeat(4) + "\n");
    },
    "a detached HEAD after a space": async (dotGit) => {
      await git(dirname(dotGit), "init", "-q");
      await Deno.writeTextFile(join(dotGit, "HEAD"), " " + "abcdef0123".repeat(4) + "\n");
    },
  };
  for (const [shape, make] of Object.entries(shapes)) {
    const folder = join(base, shape.replaceAll(" ", "-"));
    const below = join(folder, "a", "b");
    await Deno.mkdir(below, { recursive: true });
    await make(join(folder, ".git"));
    const top = await git(below, "rev-parse", "--show-toplevel");
    assertEquals(findGitRoot(below), await Deno.realPath(top), shape);
    // And the common folder git names, where runrec keeps its locks and journals.
    const common = await git(below, "rev-parse", "--path-format=absolute", "--git-common-dir");
    const commonDir = gitDirsOf(findGitRoot(below)!)?.commonDir;
    assertEquals(commonDir && await Deno.realPath(commonDir), await Deno.realPath(common), shape);
  }
});

Deno.test("outside: a package kept as a git submodule reads the decomposition above it (the superproject's work tree), and stale sees it change", async () => {
  const top = await Deno.realPath(await tempDir({ prefix: "runrec-super-" }));
  const pkgSource = await tempDir({ prefix: "runrec-subpkg-" });
  await writeTree(pkgSource, {
    "1_Working/DEL-01-02_Thing/_CONTEXT.md": "**DeliverableID:** DEL-01-02\n",
    "1_Working/DEL-01-02_Thing/_REFERENCES.md": "- [D](../../../_Decomposition/D.md)\n",
    "1_Working/DEL-01-02_Thing/Datasheet.md": "# Datasheet\n",
  });
  await git(pkgSource, "init", "-q");
  await git(pkgSource, "add", "-A");
  await git(pkgSource, "commit", "-qm", "package");
  await writeTree(top, { "INIT.md": "# Init\n", "_Decomposition/D.md": "# Decomposition\n" });
  await git(top, "init", "-q");
  await git(top, "submodule", "add", "-q", pkgSource, "PKG-01_Pkg");
  await git(top, "add", "-A");
  await git(top, "commit", "-qm", "root with the package as a submodule");
  const del = join(top, "PKG-01_Pkg", "1_Working", "DEL-01-02_Thing");
  assertEquals([projectBounds(del).kind, projectBounds(del).root], ["git work tree", top]);
  const emit = await runCli(["emit", del, "--agent", "A", "--status", "SUCCESS"]);
  assertEquals(emit.code, 0, emit.stderr);
  const [record] = await records(join(del, RECORD_FILE));
  assertEquals(record.InputHashes["../../../_Decomposition/D.md"].length, 64);
  await Deno.writeTextFile(join(top, "_Decomposition", "D.md"), "# Decomposition, changed\n");
  const stale = await runCli(["stale", del, "--json"]);
  assertEquals(stale.code, 1, stale.stdout + stale.stderr);
  assertIncludes(stale.stdout, "../../../_Decomposition/D.md");
  // A git work tree whose .git file names no superproject's modules stays its own project.
  const linked = join(await Deno.realPath(await tempDir()), "wt");
  await git(pkgSource, "worktree", "add", "-q", linked);
  assertEquals(projectBounds(join(linked, "1_Working", "DEL-01-02_Thing")).root, linked);
});

Deno.test("outside: a deliverable in a submodule of a submodule belongs to the outermost superproject", async () => {
  const top = await Deno.realPath(await tempDir({ prefix: "runrec-super2-" }));
  const inner = await tempDir({ prefix: "runrec-inner-" });
  await writeTree(inner, { "DEL-01-02_Thing/_CONTEXT.md": "**DeliverableID:** DEL-01-02\n" });
  await git(inner, "init", "-q");
  await git(inner, "add", "-A");
  await git(inner, "commit", "-qm", "inner");
  const middle = await tempDir({ prefix: "runrec-middle-" });
  await writeTree(middle, { "README.md": "middle\n" });
  await git(middle, "init", "-q");
  await git(middle, "submodule", "add", "-q", inner, "1_Working");
  await git(middle, "commit", "-qam", "middle");
  await writeTree(top, { "INIT.md": "# Init\n" });
  await git(top, "init", "-q");
  await git(top, "submodule", "add", "-q", middle, "PKG-01_Pkg");
  await git(top, "submodule", "update", "-q", "--init", "--recursive");
  await git(top, "commit", "-qam", "top");
  const del = join(top, "PKG-01_Pkg", "1_Working", "DEL-01-02_Thing");
  assertEquals(projectBounds(del).root, top);
});
