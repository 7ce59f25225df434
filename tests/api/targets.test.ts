/** GET /api/targets: each target's status from the newest check that covered it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DriftReport } from '../../src/core/report.ts';
import { apiHarness, TOKENS } from './helpers.ts';
import type { ApiHarness } from './helpers.ts';

let api: ApiHarness;
beforeAll(async () => {
  api = await apiHarness();
});
afterAll(() => api.close());

function report(targets: { id: string; drift: boolean }[]): DriftReport {
  return {
    verified_at: new Date().toISOString(),
    has_drift: targets.some((t) => t.drift),
    source: 'manifest',
    conflicts: {},
    summary: {
      total_keys: 2,
      synced: 2,
      in_parity: 2,
      drifted: 0,
      unknown: 0,
      extra: 0,
      targets: targets.length,
    },
    targets: targets.map(({ id, drift }) => ({
      id,
      provider: 'dotenv',
      label: id,
      has_drift: drift,
      missing: drift ? ['API_URL'] : [],
      extra: [],
      conflicts: [],
      unknown: [],
      invalid: [],
      in_parity: [],
      skipped: [],
      counts: { create: drift ? 1 : 0, update: 0, delete: 0, noop: 1, unknown: 0, skip: 0 },
    })),
  };
}

describe('GET /api/targets', () => {
  it('takes a target left out of the newest check from the newest check that covered it', async () => {
    const history = api.deps.records.history;
    const both = await history.record({
      report: report([
        { id: 'web', drift: true },
        { id: 'api', drift: true },
      ]),
      trigger: 'schedule',
      correlationId: 'c-both',
      durationMs: 5,
      at: new Date('2026-01-01T10:00:00Z'),
    });
    const webOnly = await history.record({
      report: report([{ id: 'web', drift: false }]),
      trigger: 'manual',
      correlationId: 'c-web',
      durationMs: 5,
      at: new Date('2026-01-01T11:00:00Z'),
    });
    const res = await api.call('GET', '/api/targets', { token: TOKENS.viewer });
    expect(res.status).toBe(200);
    expect(res.body['targets']).toEqual([
      expect.objectContaining({ id: 'web', status: 'parity', trigger: 'manual', check_id: webOnly.id }),
      expect.objectContaining({ id: 'api', status: 'drift', trigger: 'schedule', check_id: both.id }),
    ]);
  });
});
