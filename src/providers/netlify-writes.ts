/**
 * Netlify writes for one context: bulk creates, one context's value by PATCH, and the PUT that
 * changes a key's scopes, which rewrites every context's value and so sends each back as it was.
 */
import type { NetlifyScope } from '../core/model.ts';
import type { Progress, WriteOp, WriteOutcome } from './adapter.ts';
import type { ApiClient } from './api-client.ts';
import { ProviderConflictError, ProviderError, ProviderValidationError } from './errors.ts';
import {
  contextOf,
  effectiveValue,
  EnvVar,
  EnvVars,
  outcomeOf,
  ownValue,
  parsed,
  scopesFixed,
  scopesFor,
} from './netlify-env.ts';
import type { SiteEnv } from './netlify-env.ts';
import { asError, outcomesFor, reportAll } from './outcomes.ts';

/**
 * The context already reads the wanted value from the key's `all` value (created meanwhile, e.g.
 * by another target of the site): setting the context would split `all` for nothing.
 */
export function readsFromAll(envVar: EnvVar, scope: NetlifyScope, op: WriteOp): boolean {
  if (envVar.is_secret === true || op.secret || ownValue(envVar, scope)) return false;
  return envVar.values.find((x) => x.context === 'all')?.value === op.value.reveal();
}

/** Sets the target context's value of an existing key; other contexts keep theirs. */
export async function patchValue(
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
 * Sets an existing key's value (when it differs) and then its scopes: Netlify's PATCH keeps scopes
 * and its PUT replaces every context's value, so the PUT sends back each context's value as read
 * right after the PATCH, this context's being the op's. A value it cannot read stops it unsent.
 */
export async function rescopeOne(
  client: ApiClient,
  site: SiteEnv,
  scope: NetlifyScope,
  op: WriteOp,
  found: EnvVar,
): Promise<EnvVar | undefined> {
  const notChanged = (why: string) =>
    new Error(`[envsync] [netlify] the scopes of ${op.key} were not changed: ${why}`);
  // A key whose other contexts cannot be sent back keeps its scopes; its value is still written
  // (the plan cannot foresee this for a key new to this context), and the failure says both.
  const fixed = scopesFixed(found, scope).scopesFixed;
  if (fixed) {
    await patchValue(client, site, scope, op);
    throw notChanged(`${fixed} (its ${scope.context} value was set)`);
  }
  const wanted = op.value.reveal();
  let envVar = found;
  // A secret's own value cannot be read, but the PUT carries the op's: no PATCH needed.
  if (envVar.is_secret !== true && effectiveValue(envVar, scope)?.value !== wanted)
    envVar = (await patchValue(client, site, scope, op)) ?? found;
  const own = ownValue(envVar, scope);
  const values: { context: string; context_parameter?: string; value: string }[] = [];
  for (const x of envVar.values) {
    const value = x === own ? wanted : x.value;
    if (typeof value !== 'string') throw notChanged('a value of another context cannot be read back');
    values.push({
      context: x.context,
      ...(x.context_parameter ? { context_parameter: x.context_parameter } : {}),
      value,
    });
  }
  if (!own && effectiveValue(envVar, scope)?.value !== wanted)
    values.push({ ...contextOf(scope), value: wanted });
  const res = await client.request({
    method: 'PUT',
    path: await site.envPath(op.key),
    query: site.query,
    body: { key: op.key, scopes: scopesFor(op), is_secret: envVar.is_secret === true, values },
    key: op.key,
    values: values.map((x) => x.value),
  });
  return parsed(EnvVar, res.data);
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
export async function createOne(
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
export async function createMany(
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
