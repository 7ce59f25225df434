/**
 * Targets declared by pattern (an organisation's repositories matched by name) become targets when
 * a sweep or a command starts: the organisation's listing is read once per organisation, and what
 * each pattern found is kept with the sweep, so its batches check the same targets it planned.
 */
import { ConfigError } from '../config/env.ts';
import { matchesPattern } from '../config/groups.ts';
import type { Discovered } from '../config/groups.ts';
import type { Project } from '../config/manifest.ts';
import type { SyncContext } from './run.ts';

/** The project with its patterns resolved: as `found` says, or from the providers' listings now. */
export async function expandPatterns(
  ctx: Pick<SyncContext, 'adapters'>,
  project: Project,
  found?: Discovered,
): Promise<Project> {
  if (!project.patterns || !project.expand) return project;
  if (found) return project.expand(found);
  if (project.discovered) return project;
  const discover = ctx.adapters.github.discover?.bind(ctx.adapters.github);
  if (!discover) throw new ConfigError('this GitHub adapter cannot list repositories for a pattern');
  const listings = new Map<string, ReturnType<typeof discover>>();
  const next = new Map<string, string[]>();
  for (const [targetId, pattern] of project.patterns) {
    const key = pattern.org.toLowerCase();
    if (!listings.has(key)) listings.set(key, discover(pattern.org));
    const repos = (await listings.get(key)) ?? [];
    next.set(
      targetId,
      repos
        .filter((r) => matchesPattern(pattern, r.name.slice(r.name.indexOf('/') + 1), r.archived))
        .map((r) => r.name),
    );
  }
  return project.expand(next);
}

/** What each pattern found, for a record: target id → `owner/name` list. */
export function discoveredRecord(project: Project): Record<string, string[]> | undefined {
  if (!project.discovered || !project.patterns) return undefined;
  return Object.fromEntries([...project.discovered].map(([id, names]) => [id, [...names]]));
}
