/**
 * Render service env vars and env groups. Every write touches one key (`PUT …/env-vars/{key}`):
 * the replace-all `PUT /services/{id}/env-vars` deletes every key it is not sent, so EnvSync never
 * uses it. An env change takes effect after a deploy, which `redeploy` starts.
 */
import * as v from 'valibot';
import type { EnvMap, EnvValue, RenderScope, Target } from '../core/model.ts';
import { Secret } from '../core/secret.ts';
import type { Adapter, Progress, WriteOp, WriteOutcome } from './adapter.ts';
import { decode, segment } from './api-client.ts';
import type { ApiClient } from './api-client.ts';
import { outcomesFor } from './outcomes.ts';
import { RENDER_BUDGETS } from './pacer.ts';
import { renderRules } from './render-rules.ts';
import { RENDER_RESET } from './retry-policy.ts';
import { clientFor } from './transport.ts';
import { renderProbe } from './probes.ts';
import type { RemoteAdapterOptions } from './transport.ts';

type RenderTarget = Extract<Target, { provider: 'render' }>;

export interface RenderAdapterOptions extends RemoteAdapterOptions {
  /**
   * Send more changes than a minute of the write budget allows as one guarded replace-all PUT
   * (see `mergedWrite`). @default true
   */
  readonly mergeWrites?: boolean;
}

export const RENDER_API_URL = 'https://api.render.com/v1';

/** The largest page the list allows. */
const PAGE_SIZE = 100;
/** Stops a cursor chain that never reaches `[]`. */
const MAX_PAGES = 1_000;

const KeyValue = v.looseObject({ key: v.string(), value: v.string() });
const EnvVarsPage = v.array(v.looseObject({ envVar: KeyValue, cursor: v.string() }));
const EnvGroup = v.looseObject({ envVars: v.array(KeyValue) });
const Deploy = v.looseObject({ id: v.optional(v.string()) });

/** The adapter plus the one Render action that is not about variables. */
export interface RenderAdapter extends Adapter<RenderTarget> {
  /**
   * Starts a deploy so changed variables take effect (Render applies env changes only on deploy).
   * The orchestrator calls it only when something changed. Not retried after an ambiguous
   * failure: a second deploy is not what anyone asked for.
   */
  redeploy(serviceId: string): Promise<{ readonly deployId: string | undefined }>;
}

/** `/services/{id}/env-vars` or `/env-groups/{id}/env-vars`: per-key PUT and DELETE go below it. */
function envVarsPath(scope: RenderScope): string {
  return scope.kind === 'service'
    ? `/services/${segment(scope.serviceId)}/env-vars`
    : `/env-groups/${segment(scope.envGroupId)}/env-vars`;
}

async function listService(client: ApiClient, serviceId: string): Promise<Map<string, EnvValue>> {
  const path = `/services/${segment(serviceId)}/env-vars`;
  const map = new Map<string, EnvValue>();
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const res = await client.request({ method: 'GET', path, query: { limit: PAGE_SIZE, cursor } });
    const items = decode(EnvVarsPage, res.data, { provider: 'render', what: `GET ${path}` });
    for (const { envVar } of items) map.set(envVar.key, { kind: 'value', value: new Secret(envVar.value) });
    // The end is an empty page (the contract says so; a short page is not proof of the end); a
    // cursor that does not move would loop forever.
    const last = items.at(-1)?.cursor;
    if (last === undefined || last === cursor) break;
    cursor = last;
  }
  return map;
}

async function listGroup(client: ApiClient, envGroupId: string): Promise<Map<string, EnvValue>> {
  const path = `/env-groups/${segment(envGroupId)}`;
  const res = await client.request({ method: 'GET', path });
  const group = decode(EnvGroup, res.data, { provider: 'render', what: `GET ${path}` });
  return new Map(
    group.envVars.map((e): [string, EnvValue] => [e.key, { kind: 'value', value: new Secret(e.value) }]),
  );
}

function list(client: ApiClient, target: RenderTarget): Promise<Map<string, EnvValue>> {
  const scope = target.scope;
  return scope.kind === 'service'
    ? listService(client, scope.serviceId)
    : listGroup(client, scope.envGroupId);
}

/** Whether a service holds exactly what it held when planned: the same keys, the same values. */
function unchanged(now: EnvMap, basis: EnvMap): boolean {
  if (now.size !== basis.size) return false;
  for (const [key, was] of basis) {
    const is = now.get(key);
    if (!is || is.kind !== 'value' || was.kind !== 'value' || !is.value.equals(was.value)) return false;
  }
  return true;
}

/**
 * Many changes on one service in one request: `PUT /services/{id}/env-vars` replaces the whole
 * set, so it carries every key the service holds, changed or not. Guarded on both sides: the
 * service is listed right before, and if anything moved since the plan the per-key writes are
 * used instead (undefined); it is listed again after, and each change is reported as what the
 * service now holds. The window left is the one round trip between that listing and the PUT: a
 * key added by someone else inside it would be dropped, and the listing after names none of it,
 * which is why this runs only when per-key writes would take more than a minute, and only after
 * the pre-sync snapshot.
 */
async function mergedWrite(
  client: ApiClient,
  serviceId: string,
  ops: readonly WriteOp[],
  basis: EnvMap,
  progress: Progress | undefined,
): Promise<WriteOutcome[] | undefined> {
  const before = await listService(client, serviceId);
  if (!unchanged(before, basis)) return undefined;
  const merged = new Map<string, string>();
  for (const [key, env] of before) if (env.kind === 'value') merged.set(key, env.value.reveal());
  for (const op of ops) merged.set(op.key, op.value.reveal());
  const path = `/services/${segment(serviceId)}/env-vars`;
  await client.request({
    method: 'PUT',
    path,
    body: [...merged].map(([key, value]) => ({ key, value })),
    values: [...merged.values()],
  });
  const after = await listService(client, serviceId);
  const outcomes: WriteOutcome[] = ops.map((op) => {
    const now = after.get(op.key);
    return now?.kind === 'value' && now.value.equals(op.value)
      ? { key: op.key, ok: true }
      : {
          key: op.key,
          ok: false,
          error: new Error(
            `[envsync] [render] ${op.key}: not as intended after the merged write; plan again`,
          ),
        };
  });
  for (const o of outcomes) await progress?.(o);
  return outcomes;
}

export function createRenderAdapter(options: RenderAdapterOptions): RenderAdapter {
  const client = clientFor(
    {
      provider: 'render',
      baseUrl: RENDER_API_URL,
      budgets: RENDER_BUDGETS,
      concurrency: 2,
      resetHeader: RENDER_RESET,
      apiUrlSetting: 'RENDER_API_URL',
      headers: { Accept: 'application/json' },
    },
    options,
  );

  return {
    provider: 'render',
    probe: renderProbe(client),
    capabilities: () => ({ readableValues: true, batchCreate: false, perContextValues: false }),
    rules: () => renderRules,
    list: (target): Promise<EnvMap> => list(client, target),
    async read(target, key) {
      if (target.scope.kind === 'env-group')
        return (await listGroup(client, target.scope.envGroupId)).get(key);
      const path = `${envVarsPath(target.scope)}/${segment(key)}`;
      const res = await client.request({ method: 'GET', path, key, accept: [404] });
      if (res.status === 404) return undefined;
      const envVar = decode(KeyValue, res.data, { provider: 'render', what: `GET ${path}` });
      return { kind: 'value', value: new Secret(envVar.value) };
    },
    async write(target, ops, progress, basis) {
      // More changes than a minute of the write budget allows: one replace-all PUT, guarded.
      const merge = options.mergeWrites !== false && target.scope.kind === 'service' && basis;
      if (merge && target.scope.kind === 'service' && ops.length > client.writesPerMinute()) {
        const merged = await mergedWrite(client, target.scope.serviceId, ops, basis, progress);
        if (merged) return merged;
      }
      const base = envVarsPath(target.scope);
      return outcomesFor(
        ops,
        (op) => op.key,
        async (op) => {
          const value = op.value.reveal();
          // PUT of one key creates or updates it and leaves every other key alone.
          await client.request({
            method: 'PUT',
            path: `${base}/${segment(op.key)}`,
            body: { value },
            key: op.key,
            values: [value],
          });
        },
        { progress },
      );
    },
    remove(target, keys, progress) {
      const base = envVarsPath(target.scope);
      return outcomesFor(
        keys,
        (key) => key,
        async (key) => {
          // Already gone is what we wanted.
          await client.request({ method: 'DELETE', path: `${base}/${segment(key)}`, key, accept: [404] });
        },
        { progress },
      );
    },
    async afterChanges(target) {
      if (!target.redeploy || target.scope.kind !== 'service') return undefined;
      const { deployId } = await this.redeploy(target.scope.serviceId);
      return `deploy ${deployId ?? 'started'}`;
    },
    async redeploy(serviceId) {
      const path = `/services/${segment(serviceId)}/deploys`;
      const res = await client.request({ method: 'POST', path, body: {}, retrySafe: false });
      return { deployId: decode(Deploy, res.data ?? {}, { provider: 'render', what: `POST ${path}` }).id };
    },
  };
}
