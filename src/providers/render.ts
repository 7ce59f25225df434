/**
 * Render service env vars and env groups. Every write touches one key (`PUT …/env-vars/{key}`):
 * the replace-all `PUT /services/{id}/env-vars` deletes every key it is not sent, so EnvSync never
 * uses it. An env change takes effect after a deploy, which `redeploy` starts.
 */
import * as v from 'valibot';
import type { EnvMap, EnvValue, RenderScope, Target } from '../core/model.ts';
import { Secret } from '../core/secret.ts';
import type { Adapter } from './adapter.ts';
import { decode, segment } from './api-client.ts';
import type { ApiClient } from './api-client.ts';
import { outcomesFor } from './outcomes.ts';
import { RENDER_BUDGETS } from './pacer.ts';
import { renderRules } from './render-rules.ts';
import { RENDER_RESET } from './retry-policy.ts';
import { clientFor } from './transport.ts';
import type { RemoteAdapterOptions } from './transport.ts';

type RenderTarget = Extract<Target, { provider: 'render' }>;

export type RenderAdapterOptions = RemoteAdapterOptions;

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
    write(target, ops, progress) {
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
