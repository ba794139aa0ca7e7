/**
 * The error of a command line the CLI cannot take, in a module of its own so that
 * ./stray_arguments.ts and ./command.ts, which both throw it, need not import each other.
 *
 * @module
 */
import { InputError } from "../errors.ts";

/**
 * A usage error: the CLI prints it with a pointer to `--help` and exits 2.
 *
 * @example
 * ```ts
 * import { UsageError } from "./usage_error.ts";
 * new UsageError("emit: --agent is required").message; // "emit: --agent is required"
 * ```
 */
export class UsageError extends InputError {
  /** Builds the error. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
