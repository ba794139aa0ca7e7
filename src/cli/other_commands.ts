/**
 * Every command that does not record runs (`validate`, `verify`, `log`,
 * `show`, `stale`, `export`, `annotate`, `hash`, `agents`), loaded together
 * for the reason ./run_commands.ts gives.
 *
 * @module
 */
export { validateCommand } from "./validate.ts";
export { verifyCommand } from "./verify.ts";
export { logCommand } from "./log.ts";
export { showCommand } from "./show.ts";
export { staleCommand } from "./stale.ts";
export { exportCommand } from "./export.ts";
export { annotateCommand } from "./annotate.ts";
export { hashCommand } from "./hash.ts";
export { agentsCommand } from "./agents.ts";
