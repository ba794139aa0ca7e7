/**
 * The recording layer a kept `stale` verdict rests on (src/observed.ts): every `Deno` function is
 * caught once a recording has run, so no module stale reaches can look at a file unseen; the few
 * ways around `Deno` (Node's file and process modules, fetch, FFI, a worker of its own) are kept
 * out of those modules by reading their source.
 *
 * @module
 */
import { recording } from "../src/observed.ts";
import { aheadOfNow, type Remembered, remembered } from "../src/look_notes.ts";
import { join } from "node:path";
import { verdictCacheFor } from "../src/verdict_cache.ts";
import { assert, assertEquals } from "./assert.ts";
import { git, tempDir } from "./fixtures.ts";

/** `Deno`'s functions now (a getter's too: `Deno.Command`), by name. */
function denoFunctions(): Map<string, unknown> {
  const deno = Deno as unknown as Record<string, unknown>;
  const got = (name: string) => {
    try {
      return deno[name];
    } catch {
      return undefined; // `Deno.jupyter` outside `deno jupyter`
    }
  };
  return new Map(
    Object.keys(Object.getOwnPropertyDescriptors(Deno))
      .filter((name) => typeof got(name) === "function")
      .map((name) => [name, got(name)]),
  );
}

Deno.test("observed: every Deno function is caught; looks are noted, and a program, a write, an unknown call or the clock mark the work not kept", async () => {
  const before = denoFunctions();
  const dir = await tempDir();
  Deno.writeTextFileSync(`${dir}/a.txt`, "a\n");
  const looked = await recording(() => {
    Deno.statSync(dir);
    Deno.readTextFileSync(`${dir}/a.txt`);
    [...Deno.readDirSync(dir)];
    Deno.openSync(`${dir}/a.txt`).close();
    aheadOfNow(0); // "not ahead" stays so as time runs on: kept
    return Promise.resolve(Deno.realPathSync(dir));
  });
  assertEquals(looked.unkept, undefined);
  assertEquals([...looked.seen].sort(), [
    `list\t${dir}`,
    `read\t${dir}/a.txt`,
    `real\t${dir}`,
    `stat\t${dir}`,
  ]);
  // Every function of Deno's namespace was replaced: one added by a later Deno is caught too.
  const unwrapped = [...denoFunctions()].filter(([name, fn]) => before.get(name) === fn);
  assertEquals(unwrapped.map(([name]) => name).sort(), ["inspect", "memoryUsage"]);
  // Outside a recording nothing changes: a date is still a `Date`, made by `Date`.
  assert(new Date(0).constructor === Date && new Date(0) instanceof Date);

  const reasons = [];
  for (
    const work of <(() => Promise<unknown>)[]> [
      () => new Deno.Command("true").output(),
      () => Promise.resolve(Deno.writeTextFileSync(`${dir}/b.txt`, "b\n")),
      () => Promise.resolve(Deno.openSync(`${dir}/a.txt`, { write: true }).close()),
      () => Promise.resolve(Date.now()),
      () => Promise.resolve(new Date().getTime()),
      () => Promise.resolve(aheadOfNow(Date.UTC(2100, 0))),
      () => Promise.resolve(Deno.chmodSync(`${dir}/a.txt`, 0o644)),
    ]
  ) reasons.push((await recording(work)).unkept);
  assertEquals(reasons, [
    "new Deno.Command",
    "Deno.writeTextFileSync",
    "Deno.openSync",
    "the clock",
    "the clock",
    "a time ahead of the clock",
    "Deno.chmodSync",
  ]);
});

Deno.test("observed: a memo's answer brings the looks behind it to every work it is given to", async () => {
  const dir = await tempDir();
  const memo = new Map<string, Remembered<boolean>>();
  const find = () => Deno.statSync(dir).isDirectory;
  remembered(memo, dir, find); // found where nothing records: found again by the first work
  const [first, second] = await Promise.all(
    [1, 2].map(() => recording(() => Promise.resolve(remembered(memo, dir, find)))),
  );
  assertEquals([[...first.seen], [...second.seen]], [[`stat\t${dir}`], [`stat\t${dir}`]]);
});

Deno.test("observed: no module stale reaches reads files, runs programs or starts workers but through Deno (which the layer catches) or the hash pool (whose files each check notes)", async () => {
  const graph = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL("../src/stale.ts", import.meta.url).pathname],
    stdout: "piped",
  }).output();
  const modules = (JSON.parse(new TextDecoder().decode(graph.stdout)) as {
    modules: { specifier: string }[];
  }).modules.map((m) => m.specifier);
  // Node's modules stale may load: async_hooks (the layer), crypto (hashing bytes read by Deno).
  const node = modules.filter((m) => m.startsWith("node:"));
  assertEquals(node.sort(), ["node:async_hooks", "node:crypto"]);
  const ways = /\bfetch\(|\bDeno\.dlopen\b|\bnew Worker\(|from "node:|import\("node:(?!crypto)/;
  const workers: string[] = [];
  for (const m of modules.filter((m) => m.startsWith("file:") && m.includes("/src/"))) {
    const text = Deno.readTextFileSync(new URL(m));
    const code = text.split("\n").filter((line) => !/^\s*(\*|\/\/)/.test(line)).join("\n");
    const found = code.match(ways)?.[0];
    if (found === undefined) continue;
    if (found === "new Worker(") workers.push(m.slice(m.indexOf("/src/") + 1));
    else {assert(
        found === 'from "node:' && code.includes('from "node:async_hooks"'),
        `${m}: ${found}`,
      );}
  }
  // The hash pool's workers read files (each check notes them: `hash`); the check pool's parse
  // lines the reading thread sends them, and read nothing.
  assertEquals(workers.sort(), ["src/check_pool.ts", "src/hash_pool.ts"]);
  const checkWorker = Deno.readTextFileSync(new URL("../src/check_worker.ts", import.meta.url));
  assert(!/Deno\.(open|read|stat|lstat|realPath)/.test(checkWorker), "check_worker reads nothing");
});

Deno.test("observed: a folder replaced while the run looks (renamed away, another made in its place) is not kept, though its look now answers steadily", async () => {
  const kept = [];
  for (const replaced of [false, true]) {
    const repository = await tempDir();
    await git(repository, "init", "-q");
    const sub = join(repository, "sub");
    Deno.mkdirSync(sub);
    Deno.mkdirSync(join(repository, "DEL")); // a kept file keeps no line of a folder not there
    const cache = verdictCacheFor(repository)!;
    const saw = new Map<string, string>();
    const looked = await recording(() => Promise.resolve(Deno.lstatSync(sub).isDirectory), saw);
    if (replaced) {
      Deno.renameSync(sub, `${sub}.old`);
      Deno.mkdirSync(sub);
    }
    cache.keep(join(repository, "DEL"), "key", looked.seen, "kept", saw);
    cache.save();
    kept.push(verdictCacheFor(repository)!.kept(join(repository, "DEL"), "key"));
  }
  assertEquals(kept, ["kept", undefined]);
});
