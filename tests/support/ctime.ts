/**
 * Waiting for the kernel's clock to pass a file's change time, for tests of stale's hash cache
 * (src/hash_cache.ts), whose key holds ctime in the whole seconds Deno gives.
 *
 * @module
 */

/**
 * Resolves once a file changed now gets a later ctime, in Deno's whole seconds, than `ctimeMs`. The
 * kernel stamps file times from a coarse clock that can lag `Date.now()` by a tick, so waiting for
 * the wall clock's next second alone can leave an edit in the second of the change before it.
 */
export async function afterCtimeSecond(ctimeMs: number): Promise<void> {
  const probe = await Deno.makeTempFile({ prefix: "runrec-ctime-" });
  try {
    for (;;) {
      await Deno.writeTextFile(probe, "");
      if (Deno.statSync(probe).ctime!.getTime() > ctimeMs) return;
      await new Promise((r) => setTimeout(r, 1000 - Date.now() % 1000 + 20));
    }
  } finally {
    await Deno.remove(probe);
  }
}
