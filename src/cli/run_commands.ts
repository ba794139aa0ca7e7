/**
 * The commands that record runs (`start`, `finish`, `emit`, `exec`, `reap`,
 * `flush`), loaded together: they share most of their code, and one entry
 * point for them lets the bundle give `emit` six files to load instead of
 * twenty-three shared with every other command (docs/BENCHMARKS.md, stop 20).
 *
 * @module
 */
export { startCommand } from "./start.ts";
export { finishCommand } from "./finish.ts";
export { emitCommand } from "./emit.ts";
export { execCommand } from "./exec.ts";
export { reapCommand } from "./reap.ts";
export { flushCommand } from "./flush.ts";
