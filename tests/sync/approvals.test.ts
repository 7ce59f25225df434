/**
 * Approvals (issue #17, point 5): under `approvals: { required: 1 }` a plan is applied only after an
 * admiral other than its author approved it, and only while it is fresh; every refusal is audited;
 * an approval someone forged or a plan edited in Blobs does not count; a scheduled heal waits as
 * a plan and announces it.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scheduledDriftCheck } from '../../src/api/scheduled.ts';
import { digestToken } from '../../src/auth/tokens.ts';
import { rawFiles } from '../store/helpers.ts';
import { apiHarness, CANARY, TOKENS } from '../api/helpers.ts';
import type { ApiHarness } from '../api/helpers.ts';

const SECOND = 'second-admiral-token-0123456789';
const MANIFEST =
  'source: manifest\nseed: seed.env\napprovals: { required: 1 }\ntargets:\n  web: { provider: dotenv, path: web.env }\n';

let api: ApiHarness;
beforeEach(async () => {
  // The harness's three tokens, and a second admiral.
  const tokens = [...Object.entries(TOKENS), ['second', SECOND] as const]
    .map(([name, token]) => `${name}:${name === 'second' ? 'admiral' : name}:${digestToken(token)}`)
    .join(',');
  api = await apiHarness(MANIFEST, { ENVSYNC_TOKENS: tokens, ENVSYNC_AUTOHEAL: 'true' });
});
afterEach(async () => {
  // Canary: the seed's TOKEN value reaches no record (plans, approvals, audit, events, history).
  for (const { file, text } of await rawFiles(api.env['ENVSYNC_BLOBS_DIR'] ?? ''))
    expect(text, file).not.toContain(CANARY);
  await api.close();
});

const plan = async () => {
  const r = await api.call('POST', '/api/plan', { token: TOKENS.admiral, body: {} });
  expect(r.status).toBe(200);
  return r.body['plan_id'] as string;
};

describe('approvals', () => {
  it('a plan is applied only once another admiral approved it, and only while fresh', async () => {
    // Without a plan: refused, naming what to do.
    const direct = await api.call('POST', '/api/sync', { token: TOKENS.admiral, body: {} });
    expect(direct.status).toBe(403);
    expect(direct.text).toContain('requires 1 approval before a sync');
    const id = await plan();
    const early = await api.call('POST', '/api/sync', { token: TOKENS.admiral, body: { plan_id: id } });
    expect(early.status).toBe(403);
    expect(early.text).toContain('has 0 of the 1 approval');
    // Its author cannot approve it; an architect may not approve at all.
    const own = await api.call('POST', `/api/plans/${id}/approve`, { token: TOKENS.admiral });
    expect(own.status).toBe(409);
    expect(own.text).toContain('someone other than who made it');
    expect((await api.call('POST', `/api/plans/${id}/approve`, { token: TOKENS.architect })).status).toBe(
      403,
    );
    const ok = await api.call('POST', `/api/plans/${id}/approve`, { token: SECOND });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      approved: true,
      required: 1,
      approvals: [{ approver: 'admiral:second' }],
    });
    const twice = await api.call('POST', `/api/plans/${id}/approve`, { token: SECOND });
    expect(twice.text).toContain('has approved this plan already');
    const applied = await api.call('POST', '/api/sync', { token: TOKENS.admiral, body: { plan_id: id } });
    expect(applied.status).toBe(202);
    const entries = (await api.deps.records.audit.list({ limit: 50 })).items;
    const approves = entries.filter((e) => e.action === 'approve').map((e) => e.outcome);
    expect(approves.sort()).toEqual(['ok', 'refused', 'refused']);
    expect(entries.filter((e) => e.action === 'sync' && e.outcome === 'refused')).toHaveLength(2);
  });

  it('a stale plan can be neither approved nor applied', async () => {
    const id = await plan();
    await writeFile(path.join(api.dir, 'web.env'), 'API_URL=https://moved.example.com\n');
    const stale = await api.call('POST', `/api/plans/${id}/approve`, { token: SECOND });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ error: { code: 'stale_plan' } });
  });

  it('an approval forged in Blobs, or kept on a plan edited there, does not count', async () => {
    const id = await plan();
    const store = api.deps.blobs.store('plans');
    const stored = (await store.get(id, { type: 'json' })) as Record<string, unknown>;
    await store.setJSON(id, { ...stored, approvals: [{ approver: 'admiral:x', at: 'now', mac: 'AAAA' }] });
    expect(
      (await api.call('POST', '/api/sync', { token: TOKENS.admiral, body: { plan_id: id } })).status,
    ).toBe(403);
    // Approved for real, then its entries edited: the approval no longer holds.
    await store.setJSON(id, stored);
    expect((await api.call('POST', `/api/plans/${id}/approve`, { token: SECOND })).status).toBe(200);
    const approved = (await store.get(id, { type: 'json' })) as { targets: { entries: unknown[] }[] };
    await store.setJSON(id, { ...approved, targets: approved.targets.map((t) => ({ ...t, entries: [] })) });
    const edited = (await store.get(id, { type: 'json' })) as Parameters<
      typeof api.deps.records.plans.validApprovals
    >[0];
    expect(api.deps.records.plans.validApprovals(edited)).toEqual([]);
    expect(
      (await api.call('POST', '/api/sync', { token: TOKENS.admiral, body: { plan_id: id } })).status,
    ).not.toBe(202);
  });

  it('a scheduled heal waits as a plan awaiting approval, announced by an event', async () => {
    const result = await scheduledDriftCheck(api.deps);
    expect(result.hasDrift).toBe(true);
    expect(result.heal).toBeUndefined();
    expect(result.awaitingApproval).toMatch(/^plan_/);
    const events = (await api.deps.records.events.list({})).items.map((e) => e.type);
    expect(events).toContain('envsync.approval_needed');
    expect(await api.deps.records.journals.unfinished(new Date())).toEqual([]);
  });
});
