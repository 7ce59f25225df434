/**
 * Secret hygiene, end to end: canary values planted in every provider; after a full round of CLI
 * commands, API calls and a webhook, every log line, CLI output, HTTP response, event, audit entry,
 * history record, written file, raw blob and notification (Slack and JSON, as a receiver got them)
 * is searched for the canaries and for their unsalted hashes. Only the providers (after a sync) and
 * the encrypted snapshots may hold them; the notification webhook's secret path is held nowhere.
 * GitHub is reached as a GitHub App: its private key, its JWTs and its installation tokens are canaries too.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
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
import { slackReceiver } from '../sync/slack-receiver.ts';
import type { SlackReceiver } from '../sync/slack-receiver.ts';

const CANARIES = {
  render: 'canary-render-7d1e0c',
  netlify: 'canary-netlify-51f7aa',
  github: 'canary-github-0b9e22',
  plain: 'canary-plain-c4ff33',
  /** The secret part of the notification webhook's URL: not a value, but no record may hold it. */
  webhookPath: 'canary-slack-path-5e1f',
  // Netlify scopes: a scope change (PUT sends every context's value), a secret refused in
  // post-processing, and a value large enough for the functions-scope size warning.
  scoped: 'canary-scoped-9a3c11',
  ppSecret: 'canary-ppsecret-77b0d4',
  big: 'canary-big-5e8d20',
};
const BIG_VALUE = `${CANARIES.big}-${'x'.repeat(4200)}`;
const ADMIRAL = 'admiral-secrets-test-token-000000';
const APP_ID = 777;
const APP_KEYS = generateKeyPairSync('rsa', { modulusLength: 2048 });
const APP_PEM = APP_KEYS.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
/** Credentials sent to GitHub (App JWTs, installation tokens), collected as they leave. */
const sentCredentials = new Set<string>();
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
let receiver: SlackReceiver;
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
  receiver = await slackReceiver(`T0/B0/${CANARIES.webhookPath}`);
  github.inspect.registerApp({
    id: APP_ID,
    public_key: APP_KEYS.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    installations: [
      {
        account: 'acme',
        permissions: { secrets: 'write', dependabot_secrets: 'write', environments: 'write' },
      },
    ],
  });
  render.inspect.setEnvVar(DEMO.renderServiceId, 'SCOPED_FLAG', CANARIES.scoped);
  render.inspect.setEnvVar(DEMO.renderServiceId, 'PP_SECRET', CANARIES.ppSecret);
  render.inspect.setEnvVar(DEMO.renderServiceId, 'BIG_BLOB', BIG_VALUE);
  netlify.inspect.setEnvVar(DEMO.netlifyAccountId, {
    key: 'SCOPED_FLAG',
    site_id: DEMO.netlifySiteId,
    scopes: ['builds'],
    values: [
      { context: 'production', value: CANARIES.scoped },
      { context: 'deploy-preview', value: CANARIES.scoped },
    ],
  });
  netlify.inspect.setEnvVar(DEMO.netlifyAccountId, {
    key: 'PP_SECRET',
    site_id: DEMO.netlifySiteId,
    is_secret: true,
    scopes: ['builds'],
    values: [{ context: 'production', value: CANARIES.ppSecret }],
  });
  dir = await mkdtemp(path.join(tmpdir(), 'secrets-'));
  await writeFile(
    path.join(dir, 'envsync.manifest.yaml'),
    [
      'source: render',
      'targets:',
      '  render: { provider: render }',
      '  gh: { provider: github, store: secrets }',
      '  web: { provider: netlify, context: production }',
      '  deps: { provider: github, store: dependabot }',
      'keys:',
      '  API_TOKEN: { secret: true }',
      '  SCOPED_FLAG: { scopes: [builds, functions, runtime] }',
      '  PP_SECRET: { scopes: [builds, post-processing] }',
      'policy:',
      '  include: [API_TOKEN, PLAIN_FLAG, NETLIFY_ONLY, GH_ONLY, SCOPED_FLAG, PP_SECRET, BIG_BLOB]',
      'notifications:',
      '  - { url_env: SLACK_WEBHOOK_URL }',
      '  - { url_env: OPS_JSON_URL, format: json }',
    ].join('\n'),
  );
});
afterAll(async () => {
  await receiver.close();
  await session.close();
});

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
      SLACK_WEBHOOK_URL: receiver.url,
      OPS_JSON_URL: `${receiver.url}/json`,
      ENVSYNC_SITE_URL: 'https://envsync.example.com',
      // App auth wins over GITHUB_TOKEN; the key as env vars often carry it, with \n escapes.
      GITHUB_APP_ID: String(APP_ID),
      GITHUB_APP_PRIVATE_KEY: APP_PEM.replaceAll('\n', '\\n'),
    };
    // Pass-through: notes each credential sent to GitHub, so the search below looks for them.
    const realFetch = globalThis.fetch;
    const sending = vi.spyOn(globalThis, 'fetch').mockImplementation((input, init) => {
      const auth = new Headers(init?.headers).get('authorization') ?? '';
      if (/^Bearer (eyJ|ghs_)/.test(auth)) sentCredentials.add(auth.slice('Bearer '.length));
      return realFetch(input, init);
    });

    // The CLI, every command that reads or writes.
    const cli = async (...args: string[]) => {
      let out = '';
      // init reads GitHub's variables too, which the App installation here may not: it uses the token.
      const withToken = { ...env, GITHUB_APP_ID: '', GITHUB_APP_PRIVATE_KEY: '' };
      const runEnv = args.includes('init') ? withToken : env;
      await runCli(args, { env: runEnv, cwd: dir, stdout: (t) => (out += t), stderr: (t) => (out += t) });
      seen.push({ where: `genesisctl ${args.join(' ')}`, text: out });
      return out;
    };
    // init reads every target: its manifest and outputs are searched below (they are under dir);
    // its seed file, which holds non-secret values by design, is checked on its own.
    const initDir = await mkdtemp(path.join(tmpdir(), 'secrets-init-'));
    for (const json of [[], ['--json']])
      await cli(...json, 'init', '--force', '--manifest', path.join(dir, 'init.manifest.yaml'));
    const initOut = await cli('init', '--seed', '--manifest', path.join(initDir, 'envsync.manifest.yaml'));
    expect(initOut).toContain('non-secret values from render');
    const seedFile = await readFile(path.join(initDir, 'seed.env'), 'utf8');
    expect(seedFile).toContain(CANARIES.plain);
    for (const secret of [CANARIES.render, CANARIES.netlify, CANARIES.github, CANARIES.ppSecret])
      for (const needle of forms(secret)) expect(seedFile).not.toContain(needle);
    seen.push({
      where: 'init manifest (with --seed)',
      text: await readFile(path.join(initDir, 'envsync.manifest.yaml'), 'utf8'),
    });
    let planned = '';
    for (const json of [[], ['--json']]) {
      await cli(...json, 'env', 'audit');
      planned += await cli(...json, 'env', 'plan', '--all');
    }
    // The scope paths were taken: a change, a refusal and the size warning, in names only.
    expect(planned).toContain('scopes: builds → builds,functions,runtime');
    expect(planned).toContain('Netlify does not allow secret values in the post-processing scope');
    expect(planned).toMatch(/functions scope add up to [\d,]+ bytes[^\n]*BIG_BLOB/);
    // On a terminal: colour, the plan shown with the question, the write counter, the hints.
    const onTerminal = async (...args: string[]) => {
      let out = '';
      const write = (t: string) => (out += t);
      const io = { env, cwd: dir, isTTY: true, confirm: () => Promise.resolve(true) };
      await runCli(args, { ...io, stdout: write, stderr: write });
      seen.push({ where: `genesisctl (terminal) ${args.join(' ')}`, text: out });
      return out;
    };
    await onTerminal('env', 'audit');
    expect(await onTerminal('env', 'sync')).toContain('\r\u001b[2KWriting 1/');
    await cli('--json', 'env', 'sync', '--yes', '--overwrite-unknown');
    await cli('env', 'verify');
    await cli('env', 'export', '--target', 'web', '--out', 'export.json');
    await cli('env', 'history');
    await cli('audit', 'log');
    // The listings a page at a time, with the next page's command.
    expect(await cli('audit', 'log', '--limit', '1')).toContain('--cursor');
    await cli('snapshots', 'list', '--limit', '1');
    await cli('env', 'history', '--limit', '1');
    await cli('audit', 'verify');
    await cli('audit', 'doc', '--out', 'audit.md');
    const list = await cli('--json', 'snapshots', 'list');
    for (const item of (JSON.parse(list) as { items: { id: string }[] }).items)
      await cli('snapshots', 'show', item.id);
    // Doctor reads every target (values stay in memory) and status reads the records.
    for (const json of [[], ['--json']]) {
      await cli(...json, 'doctor');
      await cli(...json, 'status');
    }

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
    sending.mockRestore();

    // The scope change reached Netlify with every context's value kept; the refused one did not.
    const netlifyEnv = session.sandbox.netlify.inspect.env(DEMO.netlifyAccountId, DEMO.netlifySiteId);
    expect(netlifyEnv['SCOPED_FLAG']).toMatchObject({
      scopes: ['builds', 'functions', 'runtime'],
      values: [
        { context: 'production', value: CANARIES.scoped },
        { context: 'deploy-preview', value: CANARIES.scoped },
      ],
    });
    expect(netlifyEnv['PP_SECRET']?.scopes).toEqual(['builds']);

    // The syncs did carry the values where they belong.
    expect(session.sandbox.github.inspect.secretPlaintext({ repo: DEMO.githubRepo }, 'API_TOKEN')).toBe(
      CANARIES.render,
    );
    expect(
      session.sandbox.github.inspect.secretPlaintext(
        { repo: DEMO.githubRepo, store: 'dependabot' },
        'API_TOKEN',
      ),
    ).toBe(CANARIES.render);
    // GitHub was reached as the App: JWTs bought installation tokens, which did the work.
    const credentials = [...sentCredentials];
    expect(credentials.some((c) => c.startsWith('eyJ'))).toBe(true);
    expect(credentials.some((c) => c.startsWith('ghs_'))).toBe(true);
    // Every line of the key's body, and each JWT and token.
    const keyLines = APP_PEM.split('\n').filter((line) => /^[A-Za-z0-9+/=]{40,}$/.test(line));
    expect(keyLines.length).toBeGreaterThan(20);

    // Every kind but approvals reached the notification channels, in both formats.
    const kinds = new Set(
      receiver.received.map((r) => {
        const p = r.payload as { type?: string; text?: string };
        return p.type ?? p.text?.split(':')[0];
      }),
    );
    expect([...kinds].sort()).toEqual(['Drift found', 'Sync done', 'drift', 'sync_done']);
    const slack = receiver.received.filter((r) => !(r.payload as { type?: string }).type);
    expect(slack.flatMap((r) => r.problems)).toEqual([]);
    for (const r of receiver.received) seen.push({ where: 'notification', text: r.raw });

    const haystack = [...seen, ...(await files(dir)).map((f) => ({ where: f.file, text: f.text }))];
    expect(haystack.length).toBeGreaterThan(60);
    const leaks: string[] = [];
    for (const canary of [...Object.values(CANARIES), ...keyLines, ...credentials]) {
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
