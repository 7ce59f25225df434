/** Netlify's `all` context shared by two targets of one site, in a plan. Pure, like the engine. */
import type { TargetPlan } from './model.ts';
import { reviseEntry } from './plan-entry.ts';

/**
 * Netlify keeps one value for all contexts or one per context, never both: setting one context of
 * an `all` key splits it. When a plan has a site's `all` target and a one-context target of the same
 * site, the one-context target leaves to the `all` target every key that target keeps at the same
 * source value, which the context then reads; otherwise each sync's writes would undo the other's.
 */
export function leaveToAllContext(targets: TargetPlan[]): TargetPlan[] {
  const allBySite = new Map<string, TargetPlan>();
  for (const tp of targets)
    if (tp.target.provider === 'netlify' && tp.target.scope.context === 'all')
      allBySite.set(tp.target.scope.siteId, tp);
  if (allBySite.size === 0) return targets;
  return targets.map((tp) => {
    if (tp.target.provider !== 'netlify' || tp.target.scope.context === 'all') return tp;
    const all = allBySite.get(tp.target.scope.siteId);
    if (!all) return tp;
    const kept = new Map<string, string>();
    for (const e of all.entries) {
      const keeps =
        e.action === 'create' || e.action === 'update' || (e.action === 'noop' && e.finding === 'in-sync');
      if (keeps && e.sourceKey !== undefined) kept.set(e.key, e.sourceKey);
    }
    let changed = false;
    const entries = tp.entries.map((e) => {
      if ((e.action !== 'create' && e.action !== 'update') || e.secret || kept.get(e.key) !== e.sourceKey)
        return e;
      changed = true;
      const reason = `${e.reason}; left to target ${all.target.id}, whose all-context value this context reads`;
      return reviseEntry(e, { action: 'noop', value: undefined, reason });
    });
    return changed ? { ...tp, entries } : tp;
  });
}
