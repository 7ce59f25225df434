/**
 * Netlify's env-var wire format as the adapter reads it, and one site's view of it: the values a
 * context reads, the scopes in one spelling. Written from the contract; shares nothing with the sandbox.
 */
import * as v from 'valibot';
import { NETLIFY_SCOPES } from '../core/model.ts';
import type { NetlifyScope } from '../core/model.ts';
import type { WriteOp } from './adapter.ts';
import { decode, segment } from './api-client.ts';
import type { ApiClient } from './api-client.ts';
import { netlifyScopeRules } from './netlify-rules.ts';

export const EnvVarValue = v.looseObject({
  id: v.optional(v.string()),
  // Secret values come back without a value.
  value: v.optional(v.nullable(v.string())),
  context: v.string(),
  context_parameter: v.optional(v.nullable(v.string())),
});
export const EnvVar = v.looseObject({
  key: v.string(),
  values: v.optional(v.array(EnvVarValue), []),
  scopes: v.optional(v.nullable(v.array(v.string()))),
  is_secret: v.optional(v.nullable(v.boolean())),
  updated_at: v.optional(v.nullable(v.string())),
});
export type EnvVar = v.InferOutput<typeof EnvVar>;
export type EnvVarValue = v.InferOutput<typeof EnvVarValue>;
export const EnvVars = v.array(EnvVar);
export const Site = v.looseObject({ account_id: v.string() });

/** The value a context reads: its own, else (when reading) the `all` one. */
export function ownValue(envVar: EnvVar, scope: NetlifyScope): EnvVarValue | undefined {
  return envVar.values.find(
    (value) =>
      value.context === scope.context &&
      (scope.context !== 'branch' || value.context_parameter === scope.branch),
  );
}

export function effectiveValue(envVar: EnvVar, scope: NetlifyScope): EnvVarValue | undefined {
  return ownValue(envVar, scope) ?? envVar.values.find((value) => value.context === 'all');
}

/**
 * Netlify changes scopes only with the PUT that rewrites every context's value: a target can do it
 * when it can send back every other context's value, which secret values (but `dev`'s) never allow.
 */
export function scopesFixed(envVar: EnvVar, scope: NetlifyScope): { scopesFixed?: string } {
  const own = ownValue(envVar, scope);
  const hidden = envVar.values.filter((x) => x !== own && typeof x.value !== 'string');
  if (hidden.length === 0) return {};
  const where = [...new Set(hidden.map((x) => x.context))].join(', ');
  return {
    scopesFixed: `Netlify changes scopes only by rewriting every context's value, and the secret values of its ${where} ${hidden.length === 1 ? 'context' : 'contexts'} cannot be read back; change its scopes in Netlify's UI`,
  };
}

/** `{context}` or `{context: 'branch', context_parameter}`, for bodies. */
export function contextOf(scope: NetlifyScope): { context: string; context_parameter?: string } {
  if (scope.context !== 'branch') return { context: scope.context };
  if (!scope.branch)
    throw new Error('[envsync] [netlify] a target with context "branch" needs the branch name');
  return { context: 'branch', context_parameter: scope.branch };
}

/** Per-call view of one site: the account id is resolved once, from the site when not configured. */
export class SiteEnv {
  readonly #client: ApiClient;
  readonly #scope: NetlifyScope;
  #accountId: Promise<string> | undefined;

  constructor(client: ApiClient, scope: NetlifyScope) {
    this.#client = client;
    this.#scope = scope;
  }

  get query(): { site_id: string } {
    return { site_id: this.#scope.siteId };
  }

  accountId(): Promise<string> {
    this.#accountId ??= this.#scope.accountId
      ? Promise.resolve(this.#scope.accountId)
      : this.#client
          .request({ method: 'GET', path: `/sites/${segment(this.#scope.siteId)}` })
          .then(
            (res) => decode(Site, res.data, { provider: 'netlify', what: 'GET /sites/{site_id}' }).account_id,
          );
    return this.#accountId;
  }

  async envPath(key?: string): Promise<string> {
    const base = `/accounts/${segment(await this.accountId())}/env`;
    return key === undefined ? base : `${base}/${segment(key)}`;
  }

  async list(): Promise<EnvVar[]> {
    const path = await this.envPath();
    const res = await this.#client.request({ method: 'GET', path, query: this.query });
    return decode(EnvVars, res.data ?? [], { provider: 'netlify', what: 'GET /accounts/{account_id}/env' });
  }
}

/** A write's answer, read only for its timestamps: the write happened even if the shape surprises. */
export function parsed<const S extends v.GenericSchema>(
  schema: S,
  data: unknown,
): v.InferOutput<S> | undefined {
  const result = v.safeParse(schema, data);
  return result.success ? result.output : undefined;
}

/** The provider's `updated_at` of a key just written, for the ledger. */
export function outcomeOf(envVar: EnvVar | undefined): { updatedAt?: string } {
  const updatedAt = envVar?.updated_at ?? undefined;
  return updatedAt === undefined ? {} : { updatedAt };
}

/**
 * Netlify answers `post_processing` and takes both spellings (the description's account routes say
 * `post-processing`): one spelling here, so a snapshot's scopes compare and restore as they were.
 */
export function canonicalScopes(scopes: readonly string[]): string[] {
  return [...new Set(scopes.map((s) => (s === 'post_processing' ? 'post-processing' : s)))].sort(
    (a, b) => NETLIFY_SCOPES.indexOf(a as never) - NETLIFY_SCOPES.indexOf(b as never),
  );
}

/**
 * The scopes declared or restored, as they are (the plan has refused post-processing for a
 * secret); else Netlify's defaults, as its UI gives a new key.
 */
export function scopesFor(op: WriteOp): string[] {
  return op.scopes ? canonicalScopes(op.scopes) : [...netlifyScopeRules.defaults(op.secret)];
}

/** Whether a key's scopes differ from the ones an op asks for (none asked: they never differ). */
export function rescopes(envVar: EnvVar, op: WriteOp): boolean {
  if (!op.scopes) return false;
  const have = canonicalScopes(envVar.scopes ?? []);
  const want = canonicalScopes(op.scopes);
  return have.length !== want.length || have.some((s, i) => s !== want[i]);
}
