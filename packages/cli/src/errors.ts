/**
 * Stable codes of {@link CliError}. `ERR_CLI_USAGE` is a bad command line (exit code 2); every
 * other code is a failure while running (exit code 1).
 */
export type CliErrorCode =
  | 'ERR_CLI_USAGE'
  | 'ERR_CLI_CONFIG'
  | 'ERR_CLI_DATABASE'
  | 'ERR_CLI_DATABASE_LOCKED'
  | 'ERR_CLI_KEYS_EXIST'
  | 'ERR_CLI_KEYS'
  | 'ERR_CLI_KEY_PERMISSIONS'
  | 'ERR_CLI_INPUT'
  | 'ERR_CLI_VALIDATION';

/**
 * A failure the `passport` command reports as one line on stderr, never as a stack trace.
 *
 * @example
 * ```ts
 * throw new CliError('ERR_CLI_KEYS_EXIST', 'keys already exist in storage; use --force to overwrite them');
 * ```
 */
export class CliError extends Error {
  /** Stable machine-readable code. */
  readonly code: CliErrorCode;
  /** Process exit code: 2 for usage errors, 1 otherwise. */
  readonly exitCode: number;

  constructor(code: CliErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.exitCode = code === 'ERR_CLI_USAGE' ? 2 : 1;
    (Error as { captureStackTrace?: (target: object, ctor: unknown) => void }).captureStackTrace?.(
      this,
      new.target,
    );
  }
}

/** The message of any thrown value, on one line. */
export function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // Line by line rather than /\s*\n\s*/, which backtracks quadratically over long blank runs.
  const lines = message.split('\n').map((line) => line.trim());
  return lines.filter((line) => line !== '').join(' ') || 'unknown error';
}
