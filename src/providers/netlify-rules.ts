/** Netlify's rules for environment variables (contracts README). */
import { NETLIFY_SCOPES } from '../core/model.ts';
import type { Target } from '../core/model.ts';
import type { ScopeRules, TargetRules } from '../core/rules.ts';

type NetlifyTarget = Extract<Target, { provider: 'netlify' }>;

/** Netlify refuses secrets in the post-processing scope (snippet injection would expose them). */
const SECRET_SCOPES = ['builds', 'functions', 'runtime'] as const;

/** AWS Lambda's limit on a function's environment, which Netlify Functions inherit. */
export const FUNCTIONS_ENV_LIMIT_BYTES = 4096;

export const netlifyScopeRules: ScopeRules = {
  known: NETLIFY_SCOPES,
  defaults: (secret) => (secret ? SECRET_SCOPES : NETLIFY_SCOPES),
  check(scopes, secret) {
    if (scopes.length === 0)
      return 'a key needs at least one Netlify scope; list the scopes it should have, or leave scopes out';
    if (secret && scopes.includes('post-processing'))
      return 'Netlify does not allow secret values in the post-processing scope; remove post-processing from its scopes in the manifest (keys:), or make it a non-secret key';
    return undefined;
  },
  sizeLimit: {
    scope: 'functions',
    bytes: FUNCTIONS_ENV_LIMIT_BYTES,
    why: 'AWS Lambda, which runs Netlify Functions, takes 4 KB of environment variables in all, Netlify\'s own variables included, and a deploy past it fails ("Your environment variables exceed the 4KB limit imposed by AWS Lambda")',
  },
};

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
    scopes: netlifyScopeRules,
  };
}
