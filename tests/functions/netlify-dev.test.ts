/**
 * End to end through `netlify dev --offline`: the real function doors, on the provider sandbox
 * and a local Blobs server, as `npm start` runs them.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevStack } from '../../src/cli/dev-stack.ts';
import type { DevStack } from '../../src/cli/dev-stack.ts';
import { DEMO } from '../../src/sandbox/demo.ts';

const ROOT = path.resolve('.');
const PORT = 8890 + Math.floor(Math.random() * 50);
let stack: DevStack;
let log = '';

beforeAll(async () => {
  stack = await startDevStack({
    repoRoot: ROOT,
    port: PORT,
    blobsDir: path.join(ROOT, `.envsync/test-blobs-${PORT}`),
    stateDir: path.join(ROOT, `.envsync/test-state-${PORT}`),
    log: (c) => (log += c),
  });
}, 120_000);
afterAll(async () => {
  await stack.close();
  const { rm } = await import('node:fs/promises');
  await rm(path.join(ROOT, `.envsync/test-blobs-${PORT}`), { recursive: true, force: true });
  await rm(path.join(ROOT, `.envsync/test-state-${PORT}`), { recursive: true, force: true });
});

async function api(method: string, url: string, token?: string, body?: unknown) {
  const res = await fetch(`${stack.url}${url}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown>, text };
}

function signed(id: string, payload: string, secret: string) {
  const at = new Date();
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, payload),
  };
}

describe('functions through netlify dev', () => {
  it('the scheduled drift check runs through `netlify functions:invoke`, is recorded and logs what it did', async () => {
    const run = promisify(execFile);
    const invoked = await run(
      path.join(ROOT, 'node_modules/.bin/netlify'),
      ['functions:invoke', 'drift-check', '--port', String(PORT), '--offline'],
      {
        cwd: ROOT,
        env: { ...process.env, ...stack.env },
        timeout: 60_000,
      },
    );
    const history = await api('GET', '/api/history', stack.tokens.viewer);
    expect(history.body['items']).toMatchObject([{ trigger: 'schedule', has_drift: true }]);
    // netlify-cli prints no body for a scheduled function; the function's log says what it did.
    expect(invoked.stdout.trim()).toBe('');
    const checkId = (history.body['items'] as { id: string }[])[0]?.id ?? '?';
    expect(log).toMatch(
      new RegExp(`envsync drift-check: 4 targets checked, drift on \\d \\([\\w, -]+\\); check ${checkId}`),
    );
  }, 90_000);

  it('a signed Render webhook runs a check; a forged one does nothing', async () => {
    const before = (await api('GET', '/api/history', stack.tokens.viewer)).body['total'] as number;
    const payload = JSON.stringify({
      type: 'deploy_ended',
      timestamp: new Date().toISOString(),
      data: { id: 'dep-e2e', serviceId: DEMO.renderServiceId },
    });
    const ok = await fetch(`${stack.url}/api/hooks/render`, {
      method: 'POST',
      headers: signed('msg_e2e_1', payload, stack.webhookSecret),
      body: payload,
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ status: 'checked', has_drift: true });
    const forged = await fetch(`${stack.url}/api/hooks/render`, {
      method: 'POST',
      headers: signed('msg_e2e_2', payload, `whsec_${Buffer.from('not-the-secret').toString('base64')}`),
      body: payload,
    });
    expect(forged.status).toBe(401);
    const replay = await fetch(`${stack.url}/api/hooks/render`, {
      method: 'POST',
      headers: signed('msg_e2e_1', payload, stack.webhookSecret),
      body: payload,
    });
    expect(replay.status).toBe(401);
    const after = await api('GET', '/api/history?trigger=webhook', stack.tokens.viewer);
    expect(after.status).toBe(400); // trigger is not a filter: unknown query parameters are refused
    expect((await api('GET', '/api/history', stack.tokens.viewer)).body['total']).toBe(before + 1);
  }, 60_000);

  it('a plan applied through /api/sync runs in the background function; history, snapshots and audit read back', async () => {
    const plan = await api('POST', '/api/plan', stack.tokens.architect, {});
    expect(plan.status).toBe(200);
    const denied = await api('POST', '/api/sync', stack.tokens.architect, { plan_id: plan.body['plan_id'] });
    expect(denied.status).toBe(403);
    const queued = await api('POST', '/api/sync', stack.tokens.admiral, { plan_id: plan.body['plan_id'] });
    expect(queued.status, `${queued.text}\n${log.slice(-3000)}`).toBe(202);
    const id = queued.body['correlation_id'] as string;
    let status: Record<string, unknown> = {};
    for (let i = 0; i < 120 && status['status'] !== 'done' && status['status'] !== 'failed'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      status = (await api('GET', `/api/sync/${id}`, stack.tokens.admiral)).body;
    }
    expect(status).toMatchObject({ status: 'done', progress: { planned: 4, done: 4 } });
    expect(stack.sandbox.sandbox.github.inspect.variables({ repo: DEMO.githubRepo })).toHaveProperty(
      'ALLOWED_ORIGINS',
    );

    const verified = await api('POST', '/api/verify', stack.tokens.architect, {});
    expect(verified.body).toMatchObject({ report: { has_drift: false } });
    const snapshots = await api('GET', '/api/snapshots', stack.tokens.architect);
    expect(
      (snapshots.body['items'] as { correlation_id: string }[]).filter((s) => s.correlation_id === id),
    ).toHaveLength(4);
    const audit = await api('GET', `/api/audit?correlation_id=${id}`, stack.tokens.architect);
    expect(audit.body['items']).toMatchObject([
      { action: 'sync', outcome: 'ok', actor: 'admiral:admiral-session' },
    ]);
    expect((await api('GET', '/api/audit/verify', stack.tokens.architect)).body).toMatchObject({ ok: true });
    const events = await api('GET', `/api/events?correlation_id=${id}`, stack.tokens.architect);
    expect((events.body['items'] as { type: string }[]).map((e) => e.type).sort()).toEqual([
      'envsync.commit',
      'envsync.commit',
      'envsync.init',
    ]);
    expect((await api('GET', '/api/audit', stack.tokens.viewer)).status).toBe(403);
  }, 120_000);

  it('answers unknown routes and bad bodies with 4xx JSON', async () => {
    for (const [method, url, body] of [
      ['GET', '/api/nowhere', undefined],
      ['POST', '/api/plan', { targets: 'all' }],
      ['DELETE', '/api/history', undefined],
    ] as const) {
      const res = await api(method, url, stack.tokens.admiral, body);
      expect(res.status, `${method} ${url}`).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.body).toHaveProperty('error.message');
    }
  });
});
