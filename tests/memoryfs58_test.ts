/**
 * stale's caches on a file system held in memory (tmpfs): a program that keeps a file mapped and
 * writes into it again moves no mtime or ctime after its first write (tmpfs never writes a page
 * back, so the page stays writable and no later write faults), so no `stat` can tell the change.
 * Neither cache is kept there: every file is read, every deliverable judged.
 *
 * @module
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { runCli } from "./cli.ts";
import { git, tempDir, writeTree } from "./fixtures.ts";
import { sh, unmount } from "./support/read_only.ts";
import { RACY_MS } from "../src/racy.ts";
import { fileSystemNow } from "../src/git_folder_file.ts";

/** A python3 that maps `file` and writes `text` at its start whenever asked, keeping the map. */
function mappedWriter(file: string) {
  const child = new Deno.Command("python3", {
    args: [
      "-c",
      "import mmap,os,sys\n" +
      "fd=os.open(sys.argv[1],os.O_RDWR); m=mmap.mmap(fd,0)\n" +
      "for line in sys.stdin:\n" +
      "  t=line.rstrip('\\n').encode(); m[0:len(t)]=t; m.flush(); print('ok',flush=True)\n",
      file,
    ],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let said = "";
  return {
    async write(text: string) {
      await writer.write(new TextEncoder().encode(text + "\n"));
      while (!said.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`the mapping writer ended: ${said}`);
        said += value;
      }
      assertEquals(said, "ok\n");
      said = "";
    },
    async close() {
      await writer.close();
      await reader.cancel();
      await child.status;
    },
  };
}

async function staleOf(del: string) {
  const out = await runCli(["stale", del, "--json"]);
  return {
    code: out.code,
    report: JSON.parse(out.stdout) as { filesHashed: number; filesCached: number },
  };
}

Deno.test("memoryfs58: on tmpfs, a file written again through a map it was kept under is DIRTY, not CLEAN from a cache (a minute's wait: the racy margin)", async () => {
  const root = await tempDir();
  await sh("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", root);
  let mapped: ReturnType<typeof mappedWriter> | undefined;
  try {
    const here = join(root, "PKG-01_P", "1_Working", "DEL-01-02_Thing");
    await writeTree(here, {
      "_CONTEXT.md": "**DeliverableID:** DEL-01-02\n",
      "Input.md": "first draft\n",
    });
    await git(root, "init", "-q");
    mapped = mappedWriter(join(here, "Input.md"));
    await mapped.write("FIRST"); // the first write through the map stamps the file
    const emitted = await runCli([
      "emit",
      here,
      "--agent",
      "A",
      "--status",
      "SUCCESS",
      "--input",
      "Input.md",
    ]);
    assertEquals(emitted.code, 0, emitted.stderr);
    await new Promise((resolve) => setTimeout(resolve, RACY_MS + 1_500)); // past the racy margin
    const learnt = await staleOf(here);
    assertEquals(learnt.code, 0);
    await mapped.write("AGAIN"); // moves no time on tmpfs
    const after = await staleOf(here);
    assertEquals(after.code, 1, "the input changed: DIRTY");
    assertEquals(after.report.filesCached, 0); // nothing kept on tmpfs
  } finally {
    await mapped?.close();
    await unmount(root);
  }
});

Deno.test("memoryfs58: a tmpfs mounted after a process's first probe is told at its own (the mount table is read at each probe, not once a process: the library's second run)", async () => {
  const disk = await tempDir();
  assert(fileSystemNow(join(disk, "probe")) !== undefined, "a disk's probe: a stamp");
  const root = await tempDir();
  await sh("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", root);
  try {
    assertEquals(fileSystemNow(join(root, "probe")), undefined);
  } finally {
    await unmount(root);
  }
});
