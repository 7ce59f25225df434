/** One line of `genesisctl doctor`'s report, shared by its check modules. */

/** `warn` and `info` are not problems: only `fail` makes the exit code 1. */
export type CheckStatus = 'ok' | 'fail' | 'warn' | 'info';

export interface Check {
  /** `environment`, `manifest`, `keys`, a provider, `target <id>` or `records`. */
  readonly subject: string;
  readonly check: string;
  readonly status: CheckStatus;
  readonly detail: string;
  /** What to do, when the status is not ok. */
  readonly fix?: string;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
