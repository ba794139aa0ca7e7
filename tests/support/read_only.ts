/**
 * Helpers of the tests of a deliverable folder that turns read-only between
 * `start` and `finish`: a real read-only bind mount (as root), the user's
 * spool under a `$TMPDIR`, and a started run with a `$TMPDIR` of its own.
 *
 * @module
 */
import { join } from "node:path";
import { assertEquals } from "../assert.ts";
import { runCliProcess } from "../cli.ts";
import { makeProject, tempDir } from "../fixtures.ts";

/** Runs `command`, failing the test when it fails. */
export async function sh(command: string, ...args: string[]): Promise<void> {
  const out = await new Deno.Command(command, { args, stderr: "piped" }).output();
  const why = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, `${command} ${args.join(" ")}: ${why}`);
}

/** Makes `del` a read-only bind mount of itself; `umount del` makes it writable again. */
export async function mountReadOnly(del: string): Promise<void> {
  await sh("mount", "--bind", del, del);
  await sh("mount", "-o", "remount,ro,bind", del);
}

/**
 * Unmounts `del` while a runrec process may be working in it: a file it holds open for a
 * moment (the lock it polls) makes `umount` fail as busy, so try again until it is not.
 */
export async function unmount(del: string): Promise<void> {
  for (let tries = 1;; tries++) {
    const out = await new Deno.Command("umount", { args: [del], stderr: "piped" }).output();
    const why = new TextDecoder().decode(out.stderr);
    if (out.code === 0) return;
    if (!why.includes("busy") || tries === 200) assertEquals(out.code, 0, `umount ${del}: ${why}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Mounts a 64 KiB tmpfs on `dir` and fills it: a `$TMPDIR` where nothing more can be written. */
export async function mountFullTmpfs(dir: string): Promise<void> {
  await sh("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir);
  await sh("sh", "-c", `dd if=/dev/zero of='${dir}/filler' bs=4k 2>/dev/null; true`);
}

/** Runs `body` while `del` is a read-only bind mount of itself. */
export async function whileReadOnly<T>(del: string, body: () => Promise<T>): Promise<T> {
  await mountReadOnly(del);
  try {
    return await body();
  } finally {
    await unmount(del);
  }
}

/** The entries of the user's spool under `tmp` (its `$TMPDIR`). */
export function userSpool(tmp: string): string[] {
  const found: string[] = [];
  for (const folder of Deno.readDirSync(tmp)) {
    if (!folder.name.startsWith("runrec-spool-")) continue;
    for (const e of Deno.readDirSync(join(tmp, folder.name))) {
      if (e.name.endsWith(".json")) found.push(e.name);
    }
  }
  return found;
}

/** A project with one run of 4_DOCUMENTS started; its `$TMPDIR` of its own. */
export async function startedRun() {
  const { root, del } = await makeProject();
  const tmp = await tempDir();
  const env = { TMPDIR: tmp };
  const start = await runCliProcess(["start", del, "--agent", "4_DOCUMENTS"], undefined, env);
  assertEquals(start.code, 0, start.stderr);
  const token = start.stdout.trim();
  const id = token.split("/").at(-1)!.replace(/\.json$/, "");
  const finish = ["finish", token, "--agent", "4_DOCUMENTS", "--status", "SUCCESS"];
  const cleanup = async () => {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(tmp, { recursive: true });
  };
  return { del, tmp, env, token, id, finish, cleanup };
}
