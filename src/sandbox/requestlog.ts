import type { FaultKind } from './faults.ts';

/** One request as the sandbox saw it. Bodies and header values are never kept: they may hold secrets. */
export interface RequestLogEntry {
  method: string;
  /** The templated route relative to the provider's base path, e.g. `/repos/{owner}/{repo}/actions/secrets`. */
  path: string;
  /** 0 when the connection was dropped on purpose instead of answered. */
  status: number;
  /** Real epoch milliseconds when the request arrived. */
  at: number;
  durationMs: number;
  fault?: FaultKind;
}

export const UNMATCHED_ROUTE = '(unmatched)';

/** The request log every sandbox keeps, with counters per method and templated route. */
export class RequestLog {
  private readonly list: RequestLogEntry[] = [];

  get entries(): readonly RequestLogEntry[] {
    return this.list;
  }

  record(entry: RequestLogEntry): void {
    this.list.push(entry);
  }

  /** Requests per `"METHOD /templated/route"`. */
  counts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const { method, path } of this.list) {
      const key = `${method} ${path}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }

  count(method: string, path: string): number {
    return this.list.filter((e) => e.method === method && e.path === path).length;
  }

  reset(): void {
    this.list.length = 0;
  }
}
