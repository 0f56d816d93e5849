import { createInterface, type Interface } from 'node:readline';
import { CliError } from './errors.js';

/**
 * Where the command reads and writes. {@link runCli} uses the process's streams by default;
 * tests pass their own.
 */
export interface CliIo {
  /** Writes to standard output. */
  out(text: string): void;
  /** Writes to standard error. */
  err(text: string): void;
  /** Standard input, read only for prompts. */
  stdin: NodeJS.ReadableStream;
  /** Whether prompts may be shown: `true` only when stdin is a terminal. */
  interactive: boolean;
  /** Directory the config file and relative paths are resolved from. */
  cwd: string;
  /** Environment variables (`DATABASE_URL`). */
  env: Record<string, string | undefined>;
}

/** The process's own streams: interactive only when stdin is a TTY. */
export function processIo(): CliIo {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    stdin: process.stdin,
    interactive: process.stdin.isTTY === true,
    cwd: process.cwd(),
    env: process.env,
  };
}

/**
 * Asks questions on a terminal (on stderr), one line per answer. Created lazily, so a command that needs no
 * prompt never touches stdin (and never keeps the process alive).
 */
export class Prompter {
  readonly #io: CliIo;
  #rl: Interface | null = null;
  #lines: AsyncIterator<string> | null = null;

  constructor(io: CliIo) {
    this.#io = io;
  }

  /** Whether questions can be asked at all. */
  get interactive(): boolean {
    return this.#io.interactive;
  }

  /**
   * Asks `question` and returns the trimmed answer, or `fallback` when the answer is empty.
   * Throws {@link CliError} `ERR_CLI_INPUT` when stdin is not a terminal (with `missing`, the
   * flag the user should pass instead) or when input ends.
   */
  async ask(question: string, options: { missing: string; fallback?: string }): Promise<string> {
    if (!this.#io.interactive) {
      throw new CliError(
        'ERR_CLI_INPUT',
        `${options.missing} (stdin is not a terminal, so nothing is asked)`,
      );
    }
    if (!this.#lines) {
      this.#rl = createInterface({ input: this.#io.stdin, terminal: false });
      this.#lines = this.#rl[Symbol.asyncIterator]();
    }
    const hint = options.fallback ? ` [${options.fallback}]` : '';
    // Questions go to stderr, so `--json > file` keeps stdout clean.
    this.#io.err(`${question}${hint}: `);
    const next = await this.#lines.next();
    if (next.done) {
      this.#io.err('\n');
      throw new CliError('ERR_CLI_INPUT', `${options.missing} (input ended)`);
    }
    const answer = next.value.trim();
    return answer === '' && options.fallback !== undefined ? options.fallback : answer;
  }

  /** Asks until `choices` contains the answer (by number or by name). */
  async choose<T extends string>(
    question: string,
    choices: readonly { value: T; label: string }[],
    options: { missing: string; fallback: T },
  ): Promise<T> {
    const menu = choices.map((choice, index) => `  ${index + 1}) ${choice.label}`).join('\n');
    this.#io.err(`${question}\n${menu}\n`);
    for (;;) {
      const answer = await this.ask('Choice', options);
      const byNumber = choices[Number(answer) - 1];
      const picked = byNumber ?? choices.find((choice) => choice.value === answer);
      if (picked) return picked.value;
      this.#io.err(`Please answer 1 to ${choices.length}.\n`);
    }
  }

  /** Releases stdin. */
  close(): void {
    this.#rl?.close();
    this.#rl = null;
    this.#lines = null;
  }
}
