/**
 * Netlify site environment variables for one deploy context. A Netlify key holds one value per
 * context, so this adapter only ever touches the target's context: new keys in one bulk POST,
 * one context's value with PATCH (which keeps the key's scopes), removal of one context's value by
 * its id. The PUT that replaces every context is used only to change declared scopes, sending every
 * other context's value back as read (netlify-writes.ts).
 */
import type { EnvMap, EnvValue, NetlifyScope, Target } from '../core/model.ts';
import { Secret } from '../core/secret.ts';
import type { Adapter, WriteOutcome } from './adapter.ts';
import { decode, segment } from './api-client.ts';
import {
  canonicalScopes,
  contextOf,
  effectiveValue,
  EnvVar,
  outcomeOf,
  ownValue,
  rescopes,
  scopesFixed,
  SiteEnv,
} from './netlify-env.ts';
import { netlifyRules } from './netlify-rules.ts';
import { createMany, patchValue, readsFromAll, rescopeOne } from './netlify-writes.ts';
import { outcomesFor, reportAll } from './outcomes.ts';
import { NETLIFY_BUDGETS } from './pacer.ts';
import { NETLIFY_RESET } from './retry-policy.ts';
import { clientFor } from './transport.ts';
import { netlifyProbe } from './probes.ts';
import type { RemoteAdapterOptions } from './transport.ts';

type NetlifyTarget = Extract<Target, { provider: 'netlify' }>;

export type NetlifyAdapterOptions = RemoteAdapterOptions;

export const NETLIFY_API_URL = 'https://api.netlify.com/api/v1';

function toEnvValue(envVar: EnvVar, scope: NetlifyScope): EnvValue | undefined {
  const value = effectiveValue(envVar, scope);
  if (!value) return undefined;
  const updatedAt = envVar.updated_at ?? undefined;
  const scopes = envVar.scopes
    ? { scopes: canonicalScopes(envVar.scopes), ...scopesFixed(envVar, scope) }
    : {};
  // A one-context target reading the `all` value cannot delete it without removing it everywhere.
  const inherited =
    value.context === 'all' && scope.context !== 'all' ? { inheritedFrom: "Netlify's all context" } : {};
  if (envVar.is_secret === true || typeof value.value !== 'string')
    return { kind: 'write-only', updatedAt, ...inherited, ...scopes };
  return { kind: 'value', value: new Secret(value.value), updatedAt, secret: false, ...inherited, ...scopes };
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
      // Declared scopes are checked against the same listing: only keys whose scopes differ take
      // the value-and-scopes path; every other write leaves the key's scopes as they are.
      const scoped = ops.some((op) => op.scopes !== undefined);
      const existing =
        (creates.length > 0 && scope.context !== 'all') || scoped
          ? new Map((await site.list()).map((e) => [e.key, e]))
          : new Map<string, EnvVar>();
      const rescoped = ops.filter((op) => {
        const envVar = existing.get(op.key);
        return envVar !== undefined && rescopes(envVar, op);
      });
      const rescopedKeys = new Set(rescoped.map((op) => op.key));
      const plain = ops.filter((op) => !rescopedKeys.has(op.key));
      // A key created meanwhile in `all` with the wanted value already reads right in this context;
      // setting this context would split the `all` value (another target of the site may own it).
      const alreadyRead = new Set(
        plain
          .filter((op) => op.action === 'create')
          .filter((op) => {
            const envVar = existing.get(op.key);
            return envVar !== undefined && readsFromAll(envVar, scope, op);
          })
          .map((op) => op.key),
      );
      const toCreate = plain.filter((op) => op.action === 'create' && !existing.has(op.key));
      const toPatch = plain.filter(
        (op) => (op.action === 'update' || existing.has(op.key)) && !alreadyRead.has(op.key),
      );
      const unchanged = plain
        .filter((op) => alreadyRead.has(op.key))
        .map((op): WriteOutcome => ({ key: op.key, ok: true, ...outcomeOf(existing.get(op.key)) }));
      await reportAll(unchanged, progress);
      const [created, patched, scopesSet] = await Promise.all([
        createMany(client, site, scope, toCreate, progress),
        outcomesFor(
          toPatch,
          (op) => op.key,
          async (op) => outcomeOf(await patchValue(client, site, scope, op)),
          { progress },
        ),
        outcomesFor(
          rescoped,
          (op) => op.key,
          async (op) => outcomeOf(await rescopeOne(client, site, scope, op, existing.get(op.key)!)),
          { progress },
        ),
      ]);
      const byKey = new Map([...created, ...patched, ...scopesSet, ...unchanged].map((o) => [o.key, o]));
      // Every op is in exactly one of the four lists.
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
