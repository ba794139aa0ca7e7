/**
 * The commands that record runs, but `emit` (`start`, `finish`, `exec`,
 * `reap`, `flush`), loaded together: they share most of their code, and one
 * entry point for them keeps the bundle's chunks few (docs/BENCHMARKS.md,
 * stop 20). `emit`, the command agents run most, is loaded on its own: the
 * others' code (pending runs, reaping, annotations) would be loaded in every
 * run (stop 24).
 *
 * @module
 */
export { startCommand } from "./start.ts";
export { finishCommand } from "./finish.ts";
export { execCommand } from "./exec.ts";
export { reapCommand } from "./reap.ts";
export { flushCommand } from "./flush.ts";
