/**
 * What the command modules share with the program that registers them: the exit codes, the
 * terminal and the kit every command gets. Its own module, so the command modules and main.ts
 * import downward from here instead of from each other.
 */
import type { CliEnvironment, CliSession } from './context.ts';

/**
 * 0 no drift; 1 drift or sync problems; 2 bad usage or configuration; 3 a provider could not be
 * reached (DNS, refused, timed out): not drift, so CI can tell a firewall from a drifted target.
 */
export const EXIT = { ok: 0, drift: 1, usage: 2, unreachable: 3 } as const;

export interface CliIo extends CliEnvironment {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Asks a yes/no question; undefined when there is no terminal to ask on. */
  confirm?: (question: string) => Promise<boolean>;
  /**
   * Calls `handler` on the first Ctrl-C or SIGTERM while a sync writes (a second one quits at
   * once); returns the function that stops listening. Undefined where there are no signals.
   */
  onInterrupt?: (handler: () => void) => () => void;
  /** stdout is a terminal: styled spans are coloured there (unless NO_COLOR is set). */
  readonly isTTY?: boolean;
}

/** A piece of a line: plain, or styled (coloured only on a terminal that wants colour). */
export type Span = string | { readonly text: string; readonly style: 'ok' | 'fail' | 'warn' | 'dim' };

/** What every command gets: output, the session (opened once, on first use) and the exit code. */
export interface CommandKit {
  readonly io: CliIo;
  out(text: string): void;
  /** One line of spans, each escaped like everything printed; colour never carries outside text unescaped. */
  outSpans(spans: readonly Span[]): void;
  json(value: unknown): void;
  /**
   * A status line on stderr, rewritten in place (`Writing 12/40`); undefined clears it. Only on a
   * terminal: piped output gets nothing extra.
   */
  progress(line: string | undefined): void;
  /** True when `--json` was given. */
  wantsJson(): boolean;
  session(): Promise<CliSession>;
  setExit(code: number): void;
}
