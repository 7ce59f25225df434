/** Netlify's rules for environment variables (contracts README). */
import type { Target } from '../core/model.ts';
import type { TargetRules } from '../core/rules.ts';

type NetlifyTarget = Extract<Target, { provider: 'netlify' }>;

export function netlifyRules(target: NetlifyTarget): TargetRules {
  const context = target.scope.context;
  return {
    // Netlify keys are case-sensitive.
    checkKey: (key) => (key.length === 0 ? 'empty names are not allowed' : undefined),
    checkValue(_value, secret) {
      if (secret && (context === 'all' || context === 'dev')) {
        return `Netlify does not allow secret values in the "${context}" context; target production, deploy-preview, branch-deploy or a branch instead`;
      }
      return undefined;
    },
  };
}
