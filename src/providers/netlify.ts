/**
 * Netlify site environment variables for one deploy context. A Netlify key holds one value per
 * context, so this adapter only ever touches the target's context: new keys in one bulk POST,
 * one context's value with PATCH (never the PUT that replaces every context), removal of one
 * context's value by its id.
 */
import * as v from 'valibot';
import type { EnvMap, EnvValue, NetlifyScope, Target } from '../core/model.ts';
import { Secret } from '../core/secret.ts';
import type { Adapter, Progress, WriteOp, WriteOutcome } from './adapter.ts';
import { decode, segment } from './api-client.ts';
import type { ApiClient } from './api-client.ts';
import { ProviderConflictError, ProviderError, ProviderValidationError } from './errors.ts';
import { netlifyRules } from './netlify-rules.ts';
import { asError, outcomesFor, reportAll } from './outcomes.ts';
import { NETLIFY_BUDGETS } from './pacer.ts';
import { NETLIFY_RESET } from './retry-policy.ts';
import { clientFor } from './transport.ts';
import { netlifyProbe } from './probes.ts';
import type { RemoteAdapterOptions } from './transport.ts';

type NetlifyTarget = Extract<Target, { provider: 'netlify' }>;

export type NetlifyAdapterOptions = RemoteAdapterOptions;

export const NETLIFY_API_URL = 'https://api.netlify.com/api/v1';

/** New keys are visible everywhere a value can be used, as in Netlify's UI. */
const ALL_SCOPES = ['builds', 'functions', 'runtime', 'post-processing'] as const;
/** Netlify refuses secrets in the post-processing scope (snippet injection would expose them). */
const SECRET_SCOPES = ['builds', 'functions', 'runtime'] as const;

const EnvVarValue = v.looseObject({
  id: v.optional(v.string()),
  // Secret values come back without a value.
  value: v.optional(v.nullable(v.string())),
  context: v.string(),
  context_parameter: v.optional(v.nullable(v.string())),
});
const EnvVar = v.looseObject({
  key: v.string(),
  values: v.optional(v.array(EnvVarValue), []),
  scopes: v.optional(v.nullable(v.array(v.string()))),
  is_secret: v.optional(v.nullable(v.boolean())),
  updated_at: v.optional(v.nullable(v.string())),
});
type EnvVar = v.InferOutput<typeof EnvVar>;
type EnvVarValue = v.InferOutput<typeof EnvVarValue>;
const EnvVars = v.array(EnvVar);
const Site = v.looseObject({ account_id: v.string() });

/** The value a context reads: its own, else (when reading) the `all` one. */
function ownValue(envVar: EnvVar, scope: NetlifyScope): EnvVarValue | undefined {
  return envVar.values.find(
    (value) =>
      value.context === scope.context &&
      (scope.context !== 'branch' || value.context_parameter === scope.branch),
  );
}

function effectiveValue(envVar: EnvVar, scope: NetlifyScope): EnvVarValue | undefined {
  return ownValue(envVar, scope) ?? envVar.values.find((value) => value.context === 'all');
}

function toEnvValue(envVar: EnvVar, scope: NetlifyScope): EnvValue | undefined {
  const value = effectiveValue(envVar, scope);
  if (!value) return undefined;
  const updatedAt = envVar.updated_at ?? undefined;
  // A one-context target reading the `all` value cannot delete it without removing it everywhere.
  const scopes = envVar.scopes ? { scopes: canonicalScopes(envVar.scopes) } : {};
  const inherited =
    value.context === 'all' && scope.context !== 'all' ? { inheritedFrom: "Netlify's all context" } : {};
  if (envVar.is_secret === true || typeof value.value !== 'string')
    return { kind: 'write-only', updatedAt, ...inherited, ...scopes };
  return { kind: 'value', value: new Secret(value.value), updatedAt, secret: false, ...inherited, ...scopes };
}

/** `{context}` or `{context: 'branch', context_parameter}`, for bodies. */
function contextOf(scope: NetlifyScope): { context: string; context_parameter?: string } {
  if (scope.context !== 'branch') return { context: scope.context };
  if (!scope.branch)
    throw new Error('[envsync] [netlify] a target with context "branch" needs the branch name');
  return { context: 'branch', context_parameter: scope.branch };
}

/** Per-call view of one site: the account id is resolved once, from the site when not configured. */
class SiteEnv {
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

/**
 * The context already reads the wanted value from the key's `all` value (created meanwhile, e.g.
 * by another target of the site): setting the context would split `all` for nothing.
 */
function readsFromAll(envVar: EnvVar, scope: NetlifyScope, op: WriteOp): boolean {
  if (envVar.is_secret === true || op.secret || ownValue(envVar, scope)) return false;
  return envVar.values.find((x) => x.context === 'all')?.value === op.value.reveal();
}

/** A write's answer, read only for its timestamps: the write happened even if the shape surprises. */
function parsed<const S extends v.GenericSchema>(schema: S, data: unknown): v.InferOutput<S> | undefined {
  const result = v.safeParse(schema, data);
  return result.success ? result.output : undefined;
}

/** The provider's `updated_at` of a key just written, for the ledger. */
function outcomeOf(envVar: EnvVar | undefined): { updatedAt?: string } {
  const updatedAt = envVar?.updated_at ?? undefined;
  return updatedAt === undefined ? {} : { updatedAt };
}

/** Sets the target context's value of an existing key; other contexts keep theirs. */
async function patchValue(
  client: ApiClient,
  site: SiteEnv,
  scope: NetlifyScope,
  op: WriteOp,
): Promise<EnvVar | undefined> {
  const value = op.value.reveal();
  const res = await client.request({
    method: 'PATCH',
    path: await site.envPath(op.key),
    query: site.query,
    body: { ...contextOf(scope), value },
    key: op.key,
    values: [value],
    accept: [404],
  });
  if (res.status === 404) return createOne(client, site, scope, op);
  return parsed(EnvVar, res.data);
}

/**
 * Netlify answers `post_processing` and takes both spellings (the description's account routes say
 * `post-processing`): one spelling here, so a snapshot's scopes compare and restore as they were.
 */
function canonicalScopes(scopes: readonly string[]): string[] {
  return [...new Set(scopes.map((s) => (s === 'post_processing' ? 'post-processing' : s)))].sort(
    (a, b) => ALL_SCOPES.indexOf(a as never) - ALL_SCOPES.indexOf(b as never),
  );
}

/** A restore's scopes as they were (never post-processing for a secret); else the defaults. */
function scopesFor(op: WriteOp): string[] {
  const scopes = op.scopes ? canonicalScopes(op.scopes) : [...(op.secret ? SECRET_SCOPES : ALL_SCOPES)];
  return op.secret ? scopes.filter((s) => s !== 'post-processing') : scopes;
}

function createBody(scope: NetlifyScope, op: WriteOp): Record<string, unknown> {
  return {
    key: op.key,
    scopes: scopesFor(op),
    values: [{ ...contextOf(scope), value: op.value.reveal() }],
    is_secret: op.secret,
  };
}

/** Creates one key; if it exists after all (a race, or a resent create), sets its value instead. */
async function createOne(
  client: ApiClient,
  site: SiteEnv,
  scope: NetlifyScope,
  op: WriteOp,
): Promise<EnvVar | undefined> {
  try {
    const res = await client.request({
      method: 'POST',
      path: await site.envPath(),
      query: site.query,
      body: [createBody(scope, op)],
      key: op.key,
      values: [op.value.reveal()],
      retrySafe: true,
    });
    return parsed(EnvVars, res.data)?.find((e) => e.key === op.key);
  } catch (error) {
    const exists =
      error instanceof ProviderConflictError ||
      (error instanceof ProviderError && error.refusal === 'exists');
    if (!exists) throw error;
    if (scope.context !== 'all') {
      const res = await client.request({
        method: 'GET',
        path: await site.envPath(op.key),
        query: site.query,
        key: op.key,
        accept: [404],
      });
      const current = res.status === 404 ? undefined : parsed(EnvVar, res.data);
      if (current && readsFromAll(current, scope, op)) return current;
    }
    return patchValue(client, site, scope, op);
  }
}

/**
 * All new keys in one POST. The POST is marked safe to resend: if a resend meets keys the first
 * attempt created, Netlify refuses the batch and each key goes through `createOne`, which turns
 * "already exists" into a PATCH of the same value. The same per-key path isolates one bad key.
 */
async function createMany(
  client: ApiClient,
  site: SiteEnv,
  scope: NetlifyScope,
  ops: readonly WriteOp[],
  progress: Progress | undefined,
): Promise<WriteOutcome[]> {
  if (ops.length === 0) return [];
  let outcomes: WriteOutcome[];
  try {
    const res = await client.request({
      method: 'POST',
      path: await site.envPath(),
      query: site.query,
      body: ops.map((op) => createBody(scope, op)),
      values: ops.map((op) => op.value.reveal()),
      retrySafe: true,
    });
    const byKey = new Map((parsed(EnvVars, res.data) ?? []).map((e) => [e.key, e]));
    outcomes = ops.map((op): WriteOutcome => ({ key: op.key, ok: true, ...outcomeOf(byKey.get(op.key)) }));
  } catch (error) {
    if (error instanceof ProviderValidationError || error instanceof ProviderConflictError) {
      return outcomesFor(
        ops,
        (op) => op.key,
        async (op) => outcomeOf(await createOne(client, site, scope, op)),
        { progress },
      );
    }
    outcomes = ops.map((op): WriteOutcome => ({ key: op.key, ok: false, error: asError(error) }));
  }
  await reportAll(outcomes, progress);
  return outcomes;
}

export function createNetlifyAdapter(options: NetlifyAdapterOptions): Adapter<NetlifyTarget> {
  const client = clientFor(
    {
      provider: 'netlify',
      baseUrl: NETLIFY_API_URL,
      budgets: NETLIFY_BUDGETS,
      concurrency: 4,
      resetHeader: NETLIFY_RESET,
      apiUrlSetting: 'NETLIFY_API_URL',
      headers: { Accept: 'application/json' },
    },
    options,
  );

  return {
    provider: 'netlify',
    probe: netlifyProbe(client),
    capabilities: () => ({ readableValues: true, batchCreate: true, perContextValues: true }),
    rules: (target) => netlifyRules(target),
    async list(target): Promise<EnvMap> {
      const envVars = await new SiteEnv(client, target.scope).list();
      const map = new Map<string, EnvValue>();
      for (const envVar of envVars) {
        const value = toEnvValue(envVar, target.scope);
        if (value) map.set(envVar.key, value);
      }
      return map;
    },
    async read(target, key) {
      const site = new SiteEnv(client, target.scope);
      const res = await client.request({
        method: 'GET',
        path: await site.envPath(key),
        query: site.query,
        key,
        accept: [404],
      });
      if (res.status === 404) return undefined;
      return toEnvValue(
        decode(EnvVar, res.data, { provider: 'netlify', what: 'GET /accounts/{account_id}/env/{key}' }),
        target.scope,
      );
    },
    async write(target, ops, progress) {
      if (ops.length === 0) return [];
      const scope = target.scope;
      contextOf(scope); // a branch target without its branch name fails before any request
      const site = new SiteEnv(client, scope);
      // A key new to this context may exist with other contexts' values, and then needs a PATCH,
      // not a create: for a single context, one listing tells which. A key of the `all` context
      // that exists has a value in it, so the plan already knows; should one slip through, the
      // bulk create is refused and `createOne` turns "already exists" into a PATCH.
      const creates = ops.filter((op) => op.action === 'create');
      const existing =
        creates.length > 0 && scope.context !== 'all'
          ? new Map((await site.list()).map((e) => [e.key, e]))
          : new Map<string, EnvVar>();
      // A key created meanwhile in `all` with the wanted value already reads right in this context;
      // setting this context would split the `all` value (another target of the site may own it).
      const alreadyRead = new Set(
        creates
          .filter((op) => {
            const envVar = existing.get(op.key);
            return envVar !== undefined && readsFromAll(envVar, scope, op);
          })
          .map((op) => op.key),
      );
      const toCreate = creates.filter((op) => !existing.has(op.key));
      const toPatch = ops.filter(
        (op) => (op.action === 'update' || existing.has(op.key)) && !alreadyRead.has(op.key),
      );
      const unchanged = ops
        .filter((op) => alreadyRead.has(op.key))
        .map((op): WriteOutcome => ({ key: op.key, ok: true, ...outcomeOf(existing.get(op.key)) }));
      await reportAll(unchanged, progress);
      const [created, patched] = await Promise.all([
        createMany(client, site, scope, toCreate, progress),
        outcomesFor(
          toPatch,
          (op) => op.key,
          async (op) => outcomeOf(await patchValue(client, site, scope, op)),
          { progress },
        ),
      ]);
      const byKey = new Map([...created, ...patched, ...unchanged].map((o) => [o.key, o]));
      // Every op is in exactly one of the three lists.
      return ops.map((op) => byKey.get(op.key) as WriteOutcome);
    },
    async remove(target, keys, progress) {
      const scope = target.scope;
      const site = new SiteEnv(client, scope);
      // The `all` context owns the whole key: no need to look up value ids first.
      const envVars =
        scope.context === 'all' ? undefined : new Map((await site.list()).map((e) => [e.key, e]));
      return outcomesFor(
        keys,
        (key) => key,
        async (key) => {
          const path = await site.envPath(key);
          if (!envVars) {
            await client.request({ method: 'DELETE', path, query: site.query, key, accept: [404] });
            return;
          }
          const envVar = envVars.get(key);
          if (!envVar) return;
          const own = ownValue(envVar, scope);
          const onlyValue = envVar.values.length <= 1;
          // The whole key goes only when the target owns it entirely; otherwise just our context's value.
          if (scope.context === 'all' || (own !== undefined && onlyValue)) {
            await client.request({ method: 'DELETE', path, query: site.query, key, accept: [404] });
            return;
          }
          // The value this context reads comes from `all`: deleting it would remove it from every
          // context. The plan skips such keys; one that slips through fails rather than pass unsent.
          if (own === undefined)
            throw new Error(
              `[envsync] [netlify] ${key} has no ${scope.context} value of its own (it reads the all context's); nothing was deleted`,
            );
          if (own.id === undefined)
            throw new Error(
              `[envsync] [netlify] the ${scope.context} value of ${key} has no id to delete it by`,
            );
          await client.request({
            method: 'DELETE',
            path: `${path}/value/${segment(own.id)}`,
            query: site.query,
            key,
            accept: [404],
          });
        },
        { progress },
      );
    },
  };
}
