/** Matches `METHOD /path` against templates such as `/repos/{owner}/{repo}/actions/secrets/{secret_name}`. */
export type RouteMatch<T> =
  | { kind: 'found'; value: T; template: string; params: Record<string, string> }
  | { kind: 'method-not-allowed'; template: string; allowed: string[] }
  | { kind: 'not-found' };

interface Entry<T> {
  method: string;
  template: string;
  segments: string[];
  literals: number;
  value: T;
}

export class RouteTable<T> {
  private readonly entries: Entry<T>[] = [];

  add(method: string, template: string, value: T): void {
    const segments = template.split('/').slice(1);
    const literals = segments.filter((s) => !isParam(s)).length;
    this.entries.push({ method: method.toUpperCase(), template, segments, literals, value });
    // A literal segment beats a parameter: `/secrets/public-key` must win over `/secrets/{secret_name}`.
    this.entries.sort((a, b) => b.literals - a.literals);
  }

  match(method: string, pathname: string): RouteMatch<T> {
    const parts = pathname.split('/').slice(1);
    let templateMatch: { template: string; allowed: string[] } | undefined;
    for (const entry of this.entries) {
      const params = matchSegments(entry.segments, parts);
      if (!params) continue;
      if (entry.method === method.toUpperCase())
        return { kind: 'found', value: entry.value, template: entry.template, params };
      if (!templateMatch || templateMatch.template === entry.template) {
        templateMatch = {
          template: entry.template,
          allowed: [...(templateMatch?.allowed ?? []), entry.method],
        };
      }
    }
    return templateMatch ? { kind: 'method-not-allowed', ...templateMatch } : { kind: 'not-found' };
  }
}

function isParam(segment: string): boolean {
  return segment.startsWith('{') && segment.endsWith('}');
}

function matchSegments(template: string[], parts: string[]): Record<string, string> | undefined {
  if (template.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < template.length; i++) {
    const t = template[i] ?? '';
    const p = parts[i] ?? '';
    if (isParam(t)) {
      if (p === '') return undefined;
      let decoded: string;
      try {
        decoded = decodeURIComponent(p);
      } catch {
        return undefined;
      }
      params[t.slice(1, -1)] = decoded;
    } else if (t !== p) {
      return undefined;
    }
  }
  return params;
}
