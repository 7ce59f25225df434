/**
 * Secret hygiene, end to end: canary values planted in every provider; after a full round of CLI
 * commands, API calls and a webhook, every log line, CLI output, HTTP response, event, audit entry,
 * history record, written file and raw blob is searched for the canaries and for their unsalted
 * hashes. Only the providers (after a sync) and the encrypted snapshots may hold them.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApiDeps } from '../../src/api/deps.ts';
import { routes } from '../../src/api/index.ts';
import { dispatch } from '../../src/api/router.ts';
import { digestToken } from '../../src/auth/tokens.ts';
import { runScheduledCheck, scheduledSummary } from '../../src/api/scheduled.ts';
import { publishSandboxEnv } from '../../src/cli/dev-session.ts';
import { runCli } from '../../src/cli/main.ts';
import { startLocalBlobs } from '../../src/store/blobs.ts';
import { startDemoSandbox } from '../../src/cli/sandbox-session.ts';
import type { SandboxSession } from '../../src/cli/sandbox-session.ts';
import { DEMO } from '../../src/sandbox/demo.ts';
import { runJournal } from '../../src/sync/background.ts';

const CANARIES = {
  render: 'canary-render-7d1e0c',
  netlify: 'canary-netlify-51f7aa',
  github: 'canary-github-0b9e22',
  plain: 'canary-plain-c4ff33',
};
const ADMIRAL = 'admiral-secrets-test-token-000000';
const WEBHOOK = `whsec_${Buffer.from('secrets-test-webhook-secret').toString('base64')}`;

/** A canary and the ways a careless tool would show it: plain, and hashed without a key. */
function forms(value: string): string[] {
  const out = [value, Buffer.from(value).toString('base64')];
  for (const alg of ['md5', 'sha1', 'sha256', 'sha512']) {
    const digest = createHash(alg).update(value).digest();
    out.push(digest.toString('hex'), digest.toString('hex').slice(0, 12), digest.toString('base64'));
  }
  return out;
}

async function files(dir: string): Promise<{ file: string; text: string }[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return Promise.all(
    entries
      .filter((e) => e.isFile())
      .map(async (e) => ({
        file: path.join(e.parentPath, e.name),
        text: await readFile(path.join(e.parentPath, e.name), 'latin1'),
      })),
  );
}

let session: SandboxSession;
let dir: string;
const seen: { where: string; text: string }[] = [];

beforeAll(async () => {
  session = await startDemoSandbox();
  const { render, netlify, github } = session.sandbox;
  render.inspect.setEnvVar(DEMO.renderServiceId, 'API_TOKEN', CANARIES.render);
  render.inspect.setEnvVar(DEMO.renderServiceId, 'PLAIN_FLAG', CANARIES.plain);
  netlify.inspect.setEnvVar(DEMO.netlifyAccountId, {
    key: 'NETLIFY_ONLY_SECRET',
    site_id: DEMO.netlifySiteId,
    is_secret: true,
    values: [{ context: 'production', value: CANARIES.netlify }],
  });
  github.inspect.setSecret({ repo: DEMO.githubRepo }, 'GH_ONLY_SECRET', CANARIES.github);
  dir = await mkdtemp(path.join(tmpdir(), 'secrets-'));
  await writeFile(
    path.join(dir, 'envsync.manifest.yaml'),
    [
      'source: render',
      'targets:',
      '  render: { provider: render }',
      '  gh: { provider: github, store: secrets }',
      '  web: { provider: netlify, context: production }',
      'keys:',
      '  API_TOKEN: { secret: true }',
      'policy:',
      '  include: [API_TOKEN, PLAIN_FLAG, NETLIFY_ONLY, GH_ONLY]',
    ].join('\n'),
  );
});
afterAll(() => session.close());

describe('secret hygiene', () => {
  it('no output, record or blob shows a canary or an unsalted hash of one', async () => {
    const logged = vi
      .spyOn(console, 'error')
      .mockImplementation((...args: unknown[]) =>
        seen.push({ where: 'console.error', text: args.map(String).join(' ') }),
      );
    const warned = vi
      .spyOn(console, 'warn')
      .mockImplementation((...args: unknown[]) =>
        seen.push({ where: 'console.warn', text: args.map(String).join(' ') }),
      );
    const env = {
      ...session.env,
      ENVSYNC_MANIFEST: path.join(dir, 'envsync.manifest.yaml'),
      ENVSYNC_BLOBS_DIR: path.join(dir, 'blobs'),
      ENVSYNC_FINGERPRINT_KEY: 'secrets-test',
      ENVSYNC_TOKENS: `ci:admiral:${digestToken(ADMIRAL)}`,
      RENDER_WEBHOOK_SECRET: WEBHOOK,
    };

    // The CLI, every command that reads or writes.
    const cli = async (...args: string[]) => {
      let out = '';
      await runCli(args, { env, cwd: dir, stdout: (t) => (out += t), stderr: (t) => (out += t) });
      seen.push({ where: `genesisctl ${args.join(' ')}`, text: out });
      return out;
    };
    for (const json of [[], ['--json']]) {
      await cli(...json, 'env', 'audit');
      await cli(...json, 'env', 'plan', '--all');
    }
    await cli('env', 'sync', '--yes');
    await cli('--json', 'env', 'sync', '--yes', '--overwrite-unknown');
    await cli('env', 'verify');
    await cli('env', 'export', '--target', 'web', '--out', 'export.json');
    await cli('env', 'history');
    await cli('audit', 'log');
    await cli('audit', 'verify');
    await cli('audit', 'doc', '--out', 'audit.md');
    const list = await cli('--json', 'snapshots', 'list');
    for (const item of (JSON.parse(list) as { items: { id: string }[] }).items)
      await cli('snapshots', 'show', item.id);

    // The CLI on a deployed site's Blobs (siteID/token mode; its raw blobs are under dir too).
    const siteBlobs = await startLocalBlobs(path.join(dir, 'site-blobs'));
    const onSite = async (...args: string[]) => {
      let out = '';
      const siteEnv = {
        ...env,
        NETLIFY_SITE_ID: 'secrets-site',
        ENVSYNC_BLOBS_TOKEN: siteBlobs.token,
        ENVSYNC_BLOBS_EDGE_URL: siteBlobs.url,
      };
      await runCli(args, { env: siteEnv, cwd: dir, stdout: (t) => (out += t), stderr: (t) => (out += t) });
      seen.push({ where: `genesisctl (site) ${args.join(' ')}`, text: out });
    };
    await onSite('-v', 'env', 'sync', '--yes', '--overwrite-unknown');
    await onSite('-v', '--json', 'env', 'audit');
    await onSite('audit', 'log');
    await siteBlobs.close();
    expect(seen.at(-3)?.text).toContain('records: Netlify Blobs of site secrets-site');
    expect((await files(path.join(dir, 'site-blobs'))).length).toBeGreaterThan(3);

    // What another shell gets from a running sandbox: keys, never a provider's value.
    const unpublish = await publishSandboxEnv(path.join(dir, '.envsync'), session.env);
    await cli('sandbox', '--print-env');
    await unpublish();

    // The HTTP API, through the same records.
    const deps = await createApiDeps({
      env,
      background: async (id, d) => void (await runJournal(d.ctx, await d.project(), id)),
    });
    const http = async (
      method: string,
      url: string,
      body?: unknown,
      headers: Record<string, string> = {},
    ) => {
      const res = await dispatch(
        routes,
        new Request(`http://localhost${url}`, {
          method,
          headers: {
            authorization: `Bearer ${ADMIRAL}`,
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
            ...headers,
          },
          body: typeof body === 'string' ? body : body === undefined ? undefined : JSON.stringify(body),
        }),
        deps,
      );
      const text = await res.text();
      seen.push({ where: `${method} ${url}`, text });
      return text;
    };
    await http('POST', '/api/plan', {});
    await http('POST', '/api/verify', {});
    await http('POST', '/api/sync', { overwrite_unknown: true });
    for (const url of [
      '/api/history',
      '/api/targets',
      '/api/snapshots',
      '/api/audit',
      '/api/audit/verify',
      '/api/events',
    ])
      await http('GET', url);
    const payload = JSON.stringify({ type: 'deploy_ended', data: { serviceId: DEMO.renderServiceId } });
    const at = new Date();
    await http('POST', '/api/hooks/render', payload, {
      'webhook-id': 'msg_secrets',
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(WEBHOOK).sign('msg_secrets', at, payload),
    });
    const snapshots = JSON.parse(await http('GET', '/api/snapshots?limit=200')) as {
      items: { id: string; target: string }[];
    };
    for (const s of snapshots.items)
      await http('POST', '/api/rollback', { target: s.target, snapshot_id: s.id, dry_run: true });
    for (const s of snapshots.items) await http('GET', `/api/snapshots/${s.id}`);
    // The scheduled function's log line.
    seen.push({ where: 'drift-check log', text: scheduledSummary(await runScheduledCheck(deps)) });
    await deps.blobs.close();
    logged.mockRestore();
    warned.mockRestore();

    // The syncs did carry the values where they belong.
    expect(session.sandbox.github.inspect.secretPlaintext({ repo: DEMO.githubRepo }, 'API_TOKEN')).toBe(
      CANARIES.render,
    );

    const haystack = [...seen, ...(await files(dir)).map((f) => ({ where: f.file, text: f.text }))];
    expect(haystack.length).toBeGreaterThan(60);
    const leaks: string[] = [];
    for (const canary of Object.values(CANARIES)) {
      const needles = forms(canary);
      for (const { where, text } of haystack) {
        for (const needle of needles)
          if (text.includes(needle))
            leaks.push(`${where}: ${needle === canary ? 'plaintext' : `hash ${needle.slice(0, 12)}`}`);
      }
    }
    expect(leaks).toEqual([]);
  }, 120_000);
});
