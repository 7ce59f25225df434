import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authenticate, parseTokens } from '../../src/auth/tokens.ts';
import { rawFiles } from '../store/helpers.ts';
import { apiHarness, CANARY, TOKENS, WEBHOOK_SECRET } from './helpers.ts';
import type { ApiHarness } from './helpers.ts';

let api: ApiHarness;
beforeEach(async () => {
  api = await apiHarness();
});
afterEach(() => api.close());

type Role = keyof typeof TOKENS;
const ENDPOINTS: { method: string; url: string; body?: unknown; allowed: readonly Role[] }[] = [
  { method: 'GET', url: '/api/history', allowed: ['admiral', 'architect', 'viewer'] },
  {
    method: 'GET',
    url: '/api/history/chk_2026-01-01T00-00-00-000Z_00000000',
    allowed: ['admiral', 'architect', 'viewer'],
  },
  { method: 'GET', url: '/api/targets', allowed: ['admiral', 'architect', 'viewer'] },
  { method: 'GET', url: '/api/history/points', allowed: ['admiral', 'architect', 'viewer'] },
  { method: 'GET', url: '/api/whoami', allowed: ['admiral', 'architect', 'viewer'] },
  { method: 'GET', url: '/api/sweeps/latest', allowed: ['admiral', 'architect', 'viewer'] },
  { method: 'GET', url: '/api/keys/API_URL', allowed: ['admiral', 'architect', 'viewer'] },
  {
    method: 'GET',
    url: '/api/snapshots/web.2026-01-01T00-00-00-000Z.00000000/compare',
    allowed: ['admiral', 'architect'],
  },
  { method: 'GET', url: '/api/snapshots', allowed: ['admiral', 'architect'] },
  {
    method: 'GET',
    url: '/api/snapshots/web.2026-01-01T00-00-00-000Z.00000000',
    allowed: ['admiral', 'architect'],
  },
  { method: 'GET', url: '/api/audit', allowed: ['admiral', 'architect'] },
  { method: 'GET', url: '/api/audit/verify', allowed: ['admiral', 'architect'] },
  { method: 'GET', url: '/api/events', allowed: ['admiral', 'architect'] },
  { method: 'GET', url: '/api/sync/00000000-0000-4000-8000-000000000000', allowed: ['admiral', 'architect'] },
  { method: 'POST', url: '/api/plan', body: {}, allowed: ['admiral', 'architect'] },
  { method: 'POST', url: '/api/verify', body: {}, allowed: ['admiral', 'architect'] },
  { method: 'POST', url: '/api/sync', body: { targets: ['web'] }, allowed: ['admiral'] },
  {
    method: 'POST',
    url: '/api/rollback',
    body: { target: 'web', snapshot_id: 'web.2026-01-01T00-00-00-000Z.00000000' },
    allowed: ['admiral'],
  },
];

describe('roles: every endpoint × role × token', () => {
  for (const endpoint of ENDPOINTS) {
    it(`${endpoint.method} ${endpoint.url}`, async () => {
      const none = await api.call(endpoint.method, endpoint.url, { body: endpoint.body });
      expect(none.status).toBe(401);
      const bad = await api.call(endpoint.method, endpoint.url, {
        body: endpoint.body,
        token: 'not-a-real-token-00000000',
      });
      expect(bad.status).toBe(401);
      expect(bad.body).toMatchObject({ error: { code: 'unauthorized' } });
      for (const role of Object.keys(TOKENS) as Role[]) {
        const res = await api.call(endpoint.method, endpoint.url, {
          body: endpoint.body,
          token: TOKENS[role],
        });
        if (endpoint.allowed.includes(role))
          expect([401, 403], `${role}: ${res.text}`).not.toContain(res.status);
        else expect(res.status, role).toBe(403);
        expect(res.status, res.text).toBeLessThan(500);
      }
    });
  }

  it('tokens are kept as digests and compared against every entry', () => {
    const entries = parseTokens('a:admiral:' + '0'.repeat(64) + '\nb:viewer:' + 'f'.repeat(64));
    expect(entries.map((e) => e.digest.length)).toEqual([32, 32]);
    expect(authenticate(entries, 'Bearer short')).toBeUndefined();
    expect(() => parseTokens('a:admiral:nothex')).toThrow('sha256 must be the 64 hex digits');
  });
});

describe('API behaviour', () => {
  it('plan, then sync that plan: 202, background applies it, history/snapshots/audit read back', async () => {
    const planned = await api.call('POST', '/api/plan', {
      token: TOKENS.architect,
      body: { targets: ['web'] },
    });
    expect(planned.status).toBe(200);
    const planId = planned.body['plan_id'] as string;
    expect(planId).toMatch(/^plan_/);
    const synced = await api.call('POST', '/api/sync', { token: TOKENS.admiral, body: { plan_id: planId } });
    expect(synced.status, synced.text).toBe(202);
    const correlation = synced.body['correlation_id'] as string;
    const status = await api.call('GET', `/api/sync/${correlation}`, { token: TOKENS.admiral });
    expect(status.body).toMatchObject({ status: 'done', progress: { planned: 2, done: 2 } });
    expect(await readFile(path.join(api.dir, 'web.env'), 'utf8')).toContain(CANARY);
    const snapshots = await api.call('GET', '/api/snapshots?target=web', { token: TOKENS.architect });
    expect((snapshots.body['items'] as unknown[]).length).toBe(2);
    const audit = await api.call('GET', `/api/audit?correlation_id=${correlation}`, {
      token: TOKENS.architect,
    });
    expect(audit.body['items']).toMatchObject([
      { action: 'sync', actor: 'admiral:admiral-token', outcome: 'ok' },
    ]);
    const events = await api.call('GET', `/api/events?correlation_id=${correlation}`, {
      token: TOKENS.architect,
    });
    expect((events.body['items'] as { type: string }[]).map((e) => e.type)).toEqual([
      'envsync.commit',
      'envsync.init',
    ]);
    // The same plan again is stale: the target moved (it was just synced).
    const again = await api.call('POST', '/api/sync', { token: TOKENS.admiral, body: { plan_id: planId } });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: { code: 'stale_plan', keys: ['web:API_URL', 'web:TOKEN'] } });
  });

  it('verify records a check the history and targets endpoints show', async () => {
    const verified = await api.call('POST', '/api/verify', { token: TOKENS.architect, body: {} });
    expect(verified.body).toMatchObject({ report: { has_drift: true } });
    const history = await api.call('GET', '/api/history?status=drift', { token: TOKENS.viewer });
    expect(history.body).toMatchObject({ total: 1 });
    const one = await api.call('GET', `/api/history/${verified.body['check_id'] as string}`, {
      token: TOKENS.viewer,
    });
    expect(one.body).toMatchObject({ trigger: 'manual', has_drift: true });
    const targets = await api.call('GET', '/api/targets', { token: TOKENS.viewer });
    expect(targets.body['targets']).toMatchObject([
      { id: 'web', status: 'drift', trigger: 'manual' },
      { id: 'api', status: 'drift' },
    ]);
  });

  it('whoami names the token and what its role may do', async () => {
    const viewer = await api.call('GET', '/api/whoami', { token: TOKENS.viewer });
    expect(viewer.body).toMatchObject({
      role: 'viewer',
      can: { reports: true, audit: false, plan: false, write: false },
    });
    const admiral = await api.call('GET', '/api/whoami', { token: TOKENS.admiral });
    expect(admiral.body).toMatchObject({
      role: 'admiral',
      can: { reports: true, audit: true, plan: true, write: true },
    });
  });

  it("a key's timeline: its state per target in each check, both fingerprints of a conflict, who changed it", async () => {
    await api.call('POST', '/api/verify', { token: TOKENS.architect, body: {} });
    const synced = await api.call('POST', '/api/sync', { token: TOKENS.admiral, body: { targets: ['web'] } });
    expect(synced.status, synced.text).toBe(202);
    const timeline = await api.call('GET', '/api/keys/API_URL', { token: TOKENS.architect });
    const checks = timeline.body['checks'] as { trigger: string; targets: { id: string; state: string }[] }[];
    // Newest first: the check the sync recorded (in parity on web), then the manual one (missing).
    expect(checks.map((c) => c.trigger)).toEqual(['sync', 'manual']);
    expect(checks[0]?.targets.find((t) => t.id === 'web')?.state).toBe('in_parity');
    expect(checks[1]?.targets.find((t) => t.id === 'web')?.state).not.toBe('in_parity');
    const changes = timeline.body['changes'] as { action: string; fingerprint: string | null }[];
    expect(changes.map((c) => c.action)).toContain('sync');
    expect(changes.find((c) => c.action === 'sync')?.fingerprint).toMatch(/^hmac2:/);
    // A viewer sees the checks, not the audit trail.
    const viewer = await api.call('GET', '/api/keys/API_URL', { token: TOKENS.viewer });
    expect(viewer.body['checks']).toHaveLength(2);
    expect(viewer.body['changes']).toBeUndefined();
    const bad = await api.call('GET', '/api/keys/%00evil', { token: TOKENS.viewer });
    expect(bad.status).toBe(400);
    expect(JSON.stringify([timeline.body, viewer.body])).not.toContain(CANARY);
  });

  it('a snapshot compared with its target now: names, fingerprints and the restore plan, never values', async () => {
    const synced = await api.call('POST', '/api/sync', { token: TOKENS.admiral, body: { targets: ['web'] } });
    const status = await api.call('GET', `/api/sync/${synced.body['correlation_id'] as string}`, {
      token: TOKENS.admiral,
    });
    const before =
      (status.body['result'] as { snapshots: Record<string, { before: string }> }).snapshots['web']?.before ??
      '';
    const compared = await api.call('GET', `/api/snapshots/${before}/compare`, { token: TOKENS.architect });
    expect(compared.status, compared.text).toBe(200);
    expect(compared.body).toMatchObject({ snapshot: { id: before, target: 'web', phase: 'before' } });
    const entries = (compared.body['plan'] as { targets: { entries: { key: string; action: string }[] }[] })
      .targets[0]?.entries;
    expect(entries?.map((e) => e.key).sort()).toContain('API_URL');
    expect(compared.text).not.toContain(CANARY);
  });

  it('rollback: dry run shows the plan, then restores the target', async () => {
    const synced = await api.call('POST', '/api/sync', {
      token: TOKENS.admiral,
      body: { targets: ['api'], deletions: 'all' },
    });
    const status = await api.call('GET', `/api/sync/${synced.body['correlation_id'] as string}`, {
      token: TOKENS.admiral,
    });
    const before =
      (status.body['result'] as { snapshots: Record<string, { before: string }> }).snapshots['api']?.before ??
      '';
    expect(await readFile(path.join(api.dir, 'api.env'), 'utf8')).not.toContain('EXTRA');
    const dry = await api.call('POST', '/api/rollback', {
      token: TOKENS.admiral,
      body: { target: 'api', snapshot_id: before, dry_run: true },
    });
    expect(dry.status).toBe(200);
    const rolled = await api.call('POST', '/api/rollback', {
      token: TOKENS.admiral,
      body: { target: 'api', snapshot_id: before },
    });
    expect(rolled.status).toBe(202);
    expect(await readFile(path.join(api.dir, 'api.env'), 'utf8')).toBe(
      'API_URL=https://api.example.com\nEXTRA=1\n',
    );
    // The rollback recorded a check of the target against the source as it ended, so the page's
    // tile says what the target now holds: the extra key is back.
    const newest = await api.call('GET', '/api/history?target=api&limit=1', { token: TOKENS.viewer });
    const [check] = newest.body['items'] as {
      trigger: string;
      correlation_id: string;
      targets: { extra: string[] }[];
    }[];
    expect(check?.trigger).toBe('sync');
    expect(check?.correlation_id).toBe(rolled.body['correlation_id']);
    expect(check?.targets[0]?.extra).toEqual(['EXTRA']);
  });

  it('Render webhook: a signed deploy_ended runs a drift check; forged, replayed and stale ones do nothing', async () => {
    const harness = await apiHarness(
      'source: manifest\nseed: seed.env\ntargets:\n  render: { provider: render, service: srv-known }\n',
      { RENDER_API_KEY: 'rnd_test', RENDER_API_URL: 'http://127.0.0.1:9/v1' },
    );
    const payload = JSON.stringify({
      type: 'deploy_ended',
      timestamp: new Date().toISOString(),
      data: { id: 'dep-1', serviceId: 'srv-other' },
    });
    const sign = (id: string, body: string, at = new Date(), secret = WEBHOOK_SECRET) => ({
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign(id, at, body),
      'content-type': 'application/json',
    });
    const ok = await harness.call('POST', '/api/hooks/render', {
      raw: payload,
      headers: sign('msg_1', payload),
    });
    expect(ok.body).toMatchObject({
      status: 'ignored',
      reason: 'the service is not one of the configured targets',
    });
    const replay = await harness.call('POST', '/api/hooks/render', {
      raw: payload,
      headers: sign('msg_1', payload),
    });
    expect(replay).toMatchObject({ status: 401, body: { error: { code: 'replayed' } } });
    const forged = await harness.call('POST', '/api/hooks/render', {
      raw: payload,
      headers: { ...sign('msg_2', payload), 'webhook-signature': 'v1,AAAA' },
    });
    expect(forged.status).toBe(401);
    const wrongSecret = await harness.call('POST', '/api/hooks/render', {
      raw: payload,
      headers: sign('msg_3', payload, new Date(), `whsec_${Buffer.from('other').toString('base64')}`),
    });
    expect(wrongSecret.status).toBe(401);
    for (const skew of [-10 * 60_000, 10 * 60_000]) {
      const stale = await harness.call('POST', '/api/hooks/render', {
        raw: payload,
        headers: sign(`msg_t${skew}`, payload, new Date(Date.now() + skew)),
      });
      expect(stale.status).toBe(401);
    }
    const tampered = await harness.call('POST', '/api/hooks/render', {
      raw: payload.replace('srv-other', 'srv-known'),
      headers: sign('msg_4', payload),
    });
    expect(tampered.status).toBe(401);
    expect((await harness.deps.records.history.list()).total).toBe(0);
    await harness.close();
  });

  it('bad input gets a 4xx JSON error naming the field, never a 5xx', async () => {
    const cases: [string, string, Parameters<ApiHarness['call']>[2]][] = [
      ['POST', '/api/plan', { raw: '{"targets": [', headers: { 'content-type': 'application/json' } }],
      ['POST', '/api/plan', { raw: '{}', headers: { 'content-type': 'text/plain' } }],
      ['POST', '/api/plan', { body: { targets: 'web' } }],
      ['POST', '/api/plan', { body: { targets: ['../etc'] } }],
      ['POST', '/api/plan', { body: { surprise: true } }],
      ['POST', '/api/plan', { body: { targets: ['nowhere'] } }],
      ['POST', '/api/plan', { body: { include: ['A\r\nX-Injected: 1'] } }],
      [
        'POST',
        '/api/plan',
        {
          raw: JSON.stringify({ targets: ['x'.repeat(70_000)] }),
          headers: { 'content-type': 'application/json' },
        },
      ],
      ['POST', '/api/sync', { body: { plan_id: 'plan_../../x' } }],
      ['POST', '/api/sync', { body: { plan_id: 'plan_2026-01-01T00-00-00-000Z_000000000000' } }],
      ['POST', '/api/rollback', { body: { target: 'web', snapshot_id: '../../x' } }],
      ['GET', '/api/history?limit=0', {}],
      ['GET', '/api/history?limit=abc&limit=2', {}],
      ['GET', '/api/history?since=yesterday', {}],
      ['GET', '/api/history?limit=501', {}],
      ['GET', '/api/history/points?limit=2001', {}],
      ['GET', '/api/history/%2e%2e%2fx', {}],
      ['GET', '/api/nowhere', {}],
      ['DELETE', '/api/history', {}],
    ];
    for (const [method, url, options] of cases) {
      const res = await api.call(method, url, { token: TOKENS.admiral, ...options });
      expect(res.status, `${method} ${url}: ${res.text}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${method} ${url}: ${res.text}`).toBeLessThan(500);
      const error = res.body['error'] as { code?: unknown; message?: unknown } | undefined;
      expect(typeof error?.code, `${method} ${url}`).toBe('string');
      expect(typeof error?.message, `${method} ${url}`).toBe('string');
      expect(res.text).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    }
    const field = await api.call('POST', '/api/plan', { token: TOKENS.admiral, body: { targets: 'web' } });
    expect(field.body).toMatchObject({ error: { issues: [{ path: 'body.targets' }] } });
    // Points are counts only: a chart's week of ten hourly targets (1,680) fits one request.
    const points = await api.call('GET', '/api/history/points?limit=2000', { token: TOKENS.admiral });
    expect(points.status, points.text).toBe(200);
    const method = await api.call('DELETE', '/api/history', { token: TOKENS.admiral });
    expect(method.status).toBe(405);
  });

  it('no response, record or raw blob holds the canary value', async () => {
    await api.call('POST', '/api/verify', { token: TOKENS.admiral, body: {} });
    const synced = await api.call('POST', '/api/sync', { token: TOKENS.admiral, body: {} });
    const texts = [synced.text];
    for (const url of [
      '/api/history',
      '/api/snapshots',
      '/api/audit',
      '/api/events',
      `/api/sync/${synced.body['correlation_id'] as string}`,
      '/api/targets',
    ]) {
      texts.push((await api.call('GET', url, { token: TOKENS.admiral })).text);
    }
    for (const text of texts) expect(text).not.toContain(CANARY);
    for (const { file, text } of await rawFiles(path.join(api.dir, 'blobs')))
      expect(text, file).not.toContain(CANARY);
  });
});

describe('scheduled drift check', () => {
  it('records a check and, with ENVSYNC_AUTOHEAL, hands a heal to the background sync', async () => {
    const { scheduledDriftCheck } = await import('../../src/api/scheduled.ts');
    const plain = await scheduledDriftCheck(api.deps);
    expect(plain).toMatchObject({ hasDrift: true });
    expect(plain.heal).toBeUndefined();
    const healing = await apiHarness(undefined, { ENVSYNC_AUTOHEAL: 'true' });
    const result = await scheduledDriftCheck(healing.deps);
    expect(result.heal).toMatch(/^[0-9a-f-]{36}$/);
    const journal = await healing.deps.records.journals.get(result.heal ?? '');
    expect(journal).toMatchObject({ action: 'heal', actor: 'scheduler', status: 'done' });
    expect((await scheduledDriftCheck(healing.deps)).hasDrift).toBe(false);
    await healing.close();
  });
});

describe('concurrent syncs through the API', () => {
  it.each([2, 5, 10])('%i at once: exactly one applies, the others get 409 naming the holder', async (n) => {
    const harness = await apiHarness();
    const results = await Promise.all(
      Array.from({ length: n }, () =>
        harness.call('POST', '/api/sync', { token: TOKENS.admiral, body: { targets: ['web'] } }),
      ),
    );
    const accepted = results.filter((r) => r.status === 202);
    const refused = results.filter((r) => r.status === 409);
    expect(accepted).toHaveLength(1);
    expect(refused).toHaveLength(n - 1);
    const winner = accepted[0]?.body['correlation_id'] as string;
    for (const r of refused)
      expect(r.body).toMatchObject({
        error: {
          code: 'sync_in_progress',
          message: expect.stringContaining(
            `sync in progress by admiral:admiral-token (${winner})`,
          ) as unknown,
        },
      });
    const journals = (await harness.deps.records.audit.list()).items.filter((e) => e.action === 'sync');
    expect(journals.map((e) => e.correlation_id)).toEqual([winner]);
    await harness.close();
  });

  it('a lock left by a holder that died expires, and the next sync proceeds', async () => {
    const harness = await apiHarness();
    await harness.deps.records.locks.acquire(['web'], 'admiral:gone (dead-holder)', 1000);
    const blocked = await harness.call('POST', '/api/sync', {
      token: TOKENS.admiral,
      body: { targets: ['web'] },
    });
    expect(blocked.status).toBe(409);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const next = await harness.call('POST', '/api/sync', {
      token: TOKENS.admiral,
      body: { targets: ['web'] },
    });
    expect(next.status).toBe(202);
    await harness.close();
  });
});
