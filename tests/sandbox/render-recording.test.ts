import { afterEach, describe, expect, it } from 'vitest';
import { readContractFile } from '../../src/sandbox/contract.ts';
import type { RenderSandbox } from '../../src/sandbox/index.ts';
import { renderContract, startRenderSandbox } from '../../src/sandbox/index.ts';
import type { RecordedRenderExchange } from '../../src/sandbox/render-shapes.ts';
import { RouteTable } from '../../src/sandbox/router.ts';
import { client } from './http-client.ts';

const recording = readContractFile('render-env.recorded.json') as RecordedRenderExchange[];
const RECORDED_SERVICE = 'srv-ct6vn35j0q5s700ckga0';

/** The contract operation a recorded URL targets. */
function operationFor(exchange: RecordedRenderExchange) {
  const contract = renderContract();
  const table = new RouteTable<string>();
  for (const op of contract.operations) table.add(op.method, op.path, op.path);
  const url = new URL(exchange.request.url);
  const match = table.match(exchange.request.method, url.pathname.replace(/^\/v1/, ''));
  return match.kind === 'found'
    ? { op: contract.operation(exchange.request.method, match.value), url, params: match.params }
    : undefined;
}

describe('Render shapes vs the recording', () => {
  it('has all 83 recorded exchanges', () => {
    expect(recording).toHaveLength(83);
  });

  // The group secret-file and env-var routes are all in the recording; the service routes too.
  it.each(recording.map((e, i) => [i, e] as const))(
    'recorded exchange %i conforms to the shapes',
    (_i, exchange) => {
      const found = operationFor(exchange);
      expect(found?.op, `${exchange.request.method} ${exchange.request.url}`).toBeDefined();
      if (!found?.op) return;
      const { op, url, params } = found;
      const body =
        exchange.request.body === null && op.body?.schema.nullable !== true
          ? undefined
          : exchange.request.body;
      expect(renderContract().validateRequest(op, { params, query: url.searchParams, body })).toEqual([]);
      const responseBody = exchange.response.status === 204 ? undefined : exchange.response.body;
      expect(renderContract().validateResponse(op, exchange.response.status, responseBody)).toEqual([]);
    },
  );
});

describe('Render sandbox replaying the recording', () => {
  let render: RenderSandbox | undefined;
  afterEach(async () => {
    expect(render?.violations ?? []).toEqual([]);
    await render?.close();
  });

  it('answers the env-var cassette with the same statuses, bodies and rate-limit buckets', async () => {
    render = await startRenderSandbox({ seed: { services: [{ id: RECORDED_SERVICE, name: 'recorded' }] } });
    const api = client(render.url, render.token);
    // Recorded cursors stand for rows; ours name the same rows with other bytes.
    const cursors = new Map<string, string>();
    const envVarCassette = recording.filter((e) => e.source.endsWith('env_var_cassette.yaml'));
    expect(envVarCassette).toHaveLength(68);
    for (const exchange of envVarCassette) {
      const url = new URL(exchange.request.url);
      const recordedCursor = url.searchParams.get('cursor');
      if (recordedCursor) url.searchParams.set('cursor', cursors.get(recordedCursor) ?? 'unmapped');
      const path = `${url.pathname.replace(/^\/v1/, '')}${url.search}`;
      // A recorded `null` body on a PUT is the bytes `null` (Go marshals a nil slice so).
      const body =
        exchange.request.body === null
          ? exchange.request.method === 'PUT'
            ? 'null'
            : undefined
          : exchange.request.body;
      const reply = await api.call<{ cursor: string }[]>(exchange.request.method, path, body);
      expect(reply.status, `${exchange.request.method} ${path}`).toBe(exchange.response.status);
      const recorded = exchange.response.body as { cursor: string }[];
      recorded.forEach((item, i) => {
        const ours = reply.body[i];
        if (ours) cursors.set(item.cursor, ours.cursor);
      });
      const withoutCursors = (items: { cursor: string }[]) =>
        items.map(({ cursor: _cursor, ...rest }) => rest);
      expect(withoutCursors(reply.body)).toEqual(withoutCursors(recorded));
      expect(reply.headers.get('ratelimit-limit')).toBe(exchange.response.headers['Ratelimit-Limit']?.[0]);
      expect(reply.headers.get('content-type')).toBe('application/json; charset=utf-8');
    }
  });

  it('answers the env-group cassette with the same statuses and bodies', async () => {
    render = await startRenderSandbox({ seed: { owners: [{ id: 'some-owner-id' }] } });
    const api = client(render.url, render.token);
    let groupId = '';
    for (const exchange of recording.filter((e) => e.source.endsWith('env_group_cassette.yaml'))) {
      const path = new URL(exchange.request.url).pathname
        .replace(/^\/v1/, '')
        .replace('evg-crbps4bqf0us73dfggr0', groupId);
      const reply = await api.call<Record<string, unknown>>(
        exchange.request.method,
        path,
        exchange.request.body ?? undefined,
      );
      expect(reply.status, `${exchange.request.method} ${path}`).toBe(exchange.response.status);
      if (exchange.response.status === 204) {
        expect(reply.text).toBe('');
        continue;
      }
      if (!groupId) groupId = String(reply.body.id);
      // Ids, times and the generated value differ by nature; everything else must match.
      const comparable = (body: Record<string, unknown>) => ({
        ...body,
        id: 'ID',
        createdAt: 'T',
        updatedAt: 'T',
        envVars: (body.envVars as { key: string; value: string }[]).map((v) =>
          v.key === 'INSTANCE_ID' ? { ...v, value: v.value.length } : v,
        ),
      });
      expect(comparable(reply.body)).toEqual(comparable(exchange.response.body as Record<string, unknown>));
    }
  });
});
