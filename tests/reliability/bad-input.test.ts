/**
 * A corpus of malformed inputs across every endpoint, the webhook and the CLI's flags: every answer
 * is a 4xx JSON error (or exit 2) whose message names what is wrong, none is a 5xx or a crash, and
 * nothing is written anywhere.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.ts';
import { apiHarness, TOKENS, WEBHOOK_SECRET } from '../api/helpers.ts';
import type { ApiHarness } from '../api/helpers.ts';

interface Case {
  readonly name: string;
  readonly method: string;
  readonly url: string;
  readonly body?: unknown;
  readonly raw?: string;
  readonly headers?: Record<string, string>;
  /** A word the error must contain: the field, or what is wrong. */
  readonly names: string;
  readonly token?: string | null;
}

const BIG = 'x'.repeat(70 * 1024);
const NASTY = [
  '...',
  '..%2f..%2fetc',
  'A\r\nX-Injected: 1',
  'ü',
  '\u0000',
  '\u202e',
  'A'.repeat(200),
  ' ',
  '%00',
  '<script>',
  'WEB',
  'chk_x',
];
/** Ids with a `/` in them are not ids at all: no route has such a path. */
const SLASHED = ['../../etc/passwd', 'web/../api', '..', 'chk_../x'];

function bodyCases(url: string, fields: Record<string, unknown[]>): Case[] {
  const cases: Case[] = [
    {
      name: `${url} malformed JSON`,
      method: 'POST',
      url,
      raw: '{"targets": [',
      headers: { 'content-type': 'application/json' },
      names: 'not valid JSON',
    },
    {
      name: `${url} JSON array`,
      method: 'POST',
      url,
      raw: '[]',
      headers: { 'content-type': 'application/json' },
      names: 'body',
    },
    {
      name: `${url} JSON string`,
      method: 'POST',
      url,
      raw: '"x"',
      headers: { 'content-type': 'application/json' },
      names: 'body',
    },
    {
      name: `${url} null`,
      method: 'POST',
      url,
      raw: 'null',
      headers: { 'content-type': 'application/json' },
      names: 'body',
    },
    {
      name: `${url} empty body`,
      method: 'POST',
      url,
      raw: '',
      headers: { 'content-type': 'application/json' },
      names: 'empty',
    },
    {
      name: `${url} text/plain`,
      method: 'POST',
      url,
      raw: '{}',
      headers: { 'content-type': 'text/plain' },
      names: 'content-type',
    },
    { name: `${url} no content-type`, method: 'POST', url, raw: '{}', headers: {}, names: 'content-type' },
    {
      name: `${url} huge body`,
      method: 'POST',
      url,
      raw: JSON.stringify({ targets: [BIG] }),
      headers: { 'content-type': 'application/json' },
      names: 'KB',
    },
    { name: `${url} unknown field`, method: 'POST', url, body: { surprise: 1 }, names: 'surprise' },
    {
      name: `${url} prototype pollution`,
      method: 'POST',
      url,
      raw: '{"__proto__": {"admin": true}}',
      headers: { 'content-type': 'application/json' },
      names: '__proto__',
    },
    { name: `${url} query string`, method: 'POST', url: `${url}?dry_run=1`, body: {}, names: 'query' },
  ];
  for (const [field, values] of Object.entries(fields)) {
    for (const value of values)
      cases.push({
        name: `${url} ${field}=${JSON.stringify(value).slice(0, 40)}`,
        method: 'POST',
        url,
        body: { [field]: value },
        names: field,
      });
  }
  return cases;
}

function queryCases(url: string, params: Record<string, string[]>): Case[] {
  const cases: Case[] = [{ name: `${url}?bogus`, method: 'GET', url: `${url}?bogus=1`, names: 'bogus' }];
  for (const [param, values] of Object.entries(params)) {
    for (const value of values)
      cases.push({
        name: `${url}?${param}=${value.slice(0, 30)}`,
        method: 'GET',
        url: `${url}?${param}=${encodeURIComponent(value)}`,
        names: param,
      });
    cases.push({
      name: `${url}?${param} twice`,
      method: 'GET',
      url: `${url}?${param}=1&${param}=2`,
      names: param,
    });
  }
  return cases;
}

const runFields = {
  from: [42, null, [], 'Nowhere', '../x', 'a b', 'A\r\nX: 1'],
  targets: ['web', [], [1], ['../etc'], ['WEB'], ['\u0000'], Array.from({ length: 60 }, (_, i) => `t${i}`)],
  include: ['API_', [''], ['A\r\nB'], [123], ['ü']],
  exclude: [true, [null]],
  deletions: ['some', 1, true],
  mode: ['replace', null],
  overwrite_unknown: ['yes', 1],
};

const CASES: Case[] = [
  ...bodyCases('/api/plan', runFields),
  ...bodyCases('/api/verify', { targets: runFields.targets, deletions: runFields.deletions }),
  ...bodyCases('/api/sync', {
    plan_id: ['plan_../../x', 'plan_2026-01-01T00-00-00-000Z_zzzzzzzzzzzz', 1, null, ''],
    action: ['rollback', 'sync; rm -rf /'],
    ...runFields,
  }),
  ...bodyCases('/api/rollback', {
    target: NASTY.slice(0, 6),
    snapshot_id: ['../../x', 'web', 'web.2026.x', 1, null, 'web.2026-01-01T00-00-00-000Z.zzzzzzzz'],
    dry_run: ['yes'],
  }),
  ...queryCases('/api/history', {
    limit: ['0', '-1', 'abc', '501', '1e3', '1.5', ''],
    cursor: ['../x', 'chk_x', 'A'.repeat(300)],
    target: ['../x', 'WEB', 'a b', '\u0000'],
    status: ['broken', 'DRIFT'],
    since: ['yesterday', '2026-13-45', '0'],
  }),
  ...queryCases('/api/snapshots', {
    limit: ['0', '201', 'x'],
    cursor: ['../../x', 'web/../../..'],
    target: ['../x'],
  }),
  ...queryCases('/api/audit', {
    limit: ['0', '999'],
    before: ['-1', 'x', '1e99'],
    correlation_id: ['a b', '../x', 'A'.repeat(100)],
  }),
  ...queryCases('/api/events', {
    limit: ['0'],
    before: ['x'],
    type: ['envsync.boom'],
    correlation_id: ['$(id)'],
  }),
  ...NASTY.map((id): Case => ({
    name: `/api/history/${id.slice(0, 20)}`,
    method: 'GET',
    url: `/api/history/${encodeURIComponent(id)}`,
    names: 'drift check',
  })),
  ...NASTY.map((id): Case => ({
    name: `/api/snapshots/${id.slice(0, 20)}`,
    method: 'GET',
    url: `/api/snapshots/${encodeURIComponent(id)}`,
    names: 'snapshot',
  })),
  ...NASTY.map((id): Case => ({
    name: `/api/sync/${id.slice(0, 20)}`,
    method: 'GET',
    url: `/api/sync/${encodeURIComponent(id)}`,
    names: 'sync',
  })),
  ...['history', 'snapshots', 'sync'].flatMap((kind) =>
    SLASHED.map((id): Case => ({
      name: `/api/${kind}/${id}`,
      method: 'GET',
      url: `/api/${kind}/${encodeURIComponent(id)}`,
      names: 'route',
    })),
  ),
  ...['PUT', 'DELETE', 'PATCH'].flatMap((method) =>
    ['/api/history', '/api/plan', '/api/sync', '/api/hooks/render'].map((url): Case => ({
      name: `${method} ${url}`,
      method,
      url,
      names: 'not allowed',
    })),
  ),
  ...['/api', '/api/', '/api/history/a/b', '/api/admin', '/api/../etc/passwd'].map((url): Case => ({
    name: `unknown ${url}`,
    method: 'GET',
    url,
    names: 'route',
  })),
  ...[
    '',
    'Bearer',
    'Bearer short',
    'Basic YWRtaW46YWRtaW4=',
    `Bearer ${TOKENS.admiral} extra`,
    `bearer ${TOKENS.admiral}`,
  ].map((auth): Case => ({
    name: `authorization "${auth.slice(0, 20)}"`,
    method: 'GET',
    url: '/api/history',
    headers: { authorization: auth },
    token: null,
    names: 'token',
  })),
];

function webhookCases(): Case[] {
  const payload = JSON.stringify({ type: 'deploy_ended', data: { serviceId: 'srv-x' } });
  const at = new Date();
  const sign = (id: string, body: string, when = at) => ({
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(when.getTime() / 1000)),
    'webhook-signature': new Webhook(WEBHOOK_SECRET).sign(id, when, body),
  });
  const url = '/api/hooks/render';
  const c = (name: string, raw: string, headers: Record<string, string>, names: string): Case => ({
    name: `webhook ${name}`,
    method: 'POST',
    url,
    raw,
    headers,
    token: null,
    names,
  });
  return [
    c('no headers', payload, { 'content-type': 'application/json' }, 'webhook-id'),
    c('no signature', payload, { ...sign('a1', payload), 'webhook-signature': '' }, 'signature'),
    c('bad signature', payload, { ...sign('a2', payload), 'webhook-signature': 'v1,AAAA' }, 'signature'),
    c('signature of another body', payload.replace('srv-x', 'srv-y'), sign('a3', payload), 'signature'),
    c('timestamp an hour old', payload, sign('a4', payload, new Date(at.getTime() - 3_600_000)), 'timestamp'),
    c(
      'timestamp an hour ahead',
      payload,
      sign('a5', payload, new Date(at.getTime() + 3_600_000)),
      'timestamp',
    ),
    c(
      'timestamp not a number',
      payload,
      { ...sign('a6', payload), 'webhook-timestamp': 'soon' },
      'webhook-timestamp',
    ),
    c('id with spaces', payload, { ...sign('a7', payload), 'webhook-id': 'a b' }, 'webhook-id'),
    c('id too long', payload, { ...sign('a8', payload), 'webhook-id': 'x'.repeat(300) }, 'webhook-id'),
    c('signed, not JSON', '{oops', sign('a9', '{oops'), 'not valid JSON'),
    c('signed, wrong types', JSON.stringify({ type: 7 }), sign('a10', JSON.stringify({ type: 7 })), 'type'),
    c(
      'signed, huge',
      JSON.stringify({ type: 'deploy_ended', pad: BIG }),
      sign('a11', JSON.stringify({ type: 'deploy_ended', pad: BIG })),
      'KB',
    ),
  ];
}

let api: ApiHarness;
beforeAll(async () => {
  api = await apiHarness();
});
afterAll(() => api.close());

describe(`bad input (${CASES.length + 12} HTTP cases, plus CLI flags)`, () => {
  it('every HTTP answer is a 4xx JSON error naming what is wrong; nothing is written', async () => {
    const cases = [...CASES, ...webhookCases()];
    expect(cases.length).toBeGreaterThanOrEqual(150);
    const before = await readFile(path.join(api.dir, 'web.env'), 'utf8');
    const failures: string[] = [];
    for (const c of cases) {
      const token = c.token === null ? undefined : (c.token ?? TOKENS.admiral);
      const res = await api.call(c.method, c.url, { token, body: c.body, raw: c.raw, headers: c.headers });
      const error = res.body['error'] as
        { message?: string; issues?: { path: string; message: string }[] } | undefined;
      const said = `${error?.message ?? ''} ${JSON.stringify(error?.issues ?? [])}`.toLowerCase();
      if (res.status < 400 || res.status >= 500) failures.push(`${c.name}: status ${res.status}`);
      else if (!error?.message) failures.push(`${c.name}: no error message`);
      else if (!said.includes(c.names.toLowerCase()))
        failures.push(`${c.name}: "${said.slice(0, 160)}" does not name "${c.names}"`);
      if (/at .*\.ts:\d+|node:internal/.test(res.text)) failures.push(`${c.name}: stack trace in the answer`);
    }
    expect(failures).toEqual([]);
    expect(await readFile(path.join(api.dir, 'web.env'), 'utf8')).toBe(before);
    expect((await api.deps.records.snapshots.list()).items).toEqual([]);
    expect((await api.deps.records.history.list()).total).toBe(0);
    expect((await api.deps.records.audit.list()).items).toEqual([]);
  });

  it('every bad CLI flag exits 2 with a message naming it, and writes nothing', async () => {
    const cases: [string[], string][] = [
      [['env', 'sync', '--deletions', 'some'], 'deletions'],
      [['env', 'sync', '--deletions'], 'deletions'],
      [['env', 'audit', '--target'], 'target'],
      [['env', 'audit', '--target', '../../etc'], 'Unknown target'],
      [['env', 'audit', '--target', 'WEB'], 'Unknown target'],
      [['env', 'audit', '--target', 'a\nb'], 'Unknown target'],
      [['env', 'audit', '--from', '\u0000'], 'Unknown source'],
      [['env', 'audit', '--from', 'manifest', '--source', 'web'], 'disagree'],
      [['env', 'history', '--limit', '0'], '--limit'],
      [['env', 'history', '--limit', 'ten'], '--limit'],
      [['env', 'history', '--since', 'last tuesday'], '--since'],
      [['env', 'history', '--status', 'bad'], 'status'],
      [['env', 'rollback', '--target', 'web', '--to', '../../x', '--yes'], 'snapshot id'],
      [['env', 'rollback', '--target', 'nope', '--to', 'x'], 'Unknown target'],
      [['env', 'rollback', '--target', 'web'], '--to'],
      [['env', 'export'], '--target'],
      [['env', 'export', '--target', 'zzz'], 'Unknown target'],
      [['snapshots', 'show', 'web.bad'], 'snapshot id'],
      [['snapshots', 'list', '--limit', '-5'], '--limit'],
      [['audit', 'log', '--limit', '100000'], '--limit'],
      [['env', 'audit', '--bogus'], 'bogus'],
      [['env', 'nope'], 'nope'],
      [['nope'], 'nope'],
      [['--manifest', '/nonexistent/m.yaml', 'env', 'audit'], 'Cannot read manifest'],
      [['--manifest', '../../../etc/passwd', 'env', 'audit'], 'manifest'],
    ];
    const before = await readFile(path.join(api.dir, 'web.env'), 'utf8');
    const env = {
      ENVSYNC_SNAPSHOT_KEY: Buffer.alloc(32, 5).toString('base64'),
      ENVSYNC_BLOBS_DIR: path.join(api.dir, 'cli-blobs'),
    };
    const failures: string[] = [];
    for (const [args, names] of cases) {
      let out = '';
      const code = await runCli(args, {
        env,
        cwd: api.dir,
        stdout: (t) => (out += t),
        stderr: (t) => (out += t),
      });
      if (code !== 2) failures.push(`${args.join(' ')}: exit ${code}`);
      else if (!out.toLowerCase().includes(names.toLowerCase()))
        failures.push(`${args.join(' ')}: "${out.slice(0, 200)}" does not name "${names}"`);
    }
    expect(failures).toEqual([]);
    expect(await readFile(path.join(api.dir, 'web.env'), 'utf8')).toBe(before);
  });

  it('bad manifests and environments exit 2 naming the field', async () => {
    const manifests: [string, string][] = [
      [
        'targets:\n  web: { provider: dotenv, path: web.env }\nkeys:\n  "A\\u0000B": { value: x, targets: [nope] }\n',
        'keys',
      ],
      ['targets:\n  web: { provider: github, repo: "not a repo" }\n', 'targets.web.repo'],
      ['targets:\n  web: { provider: netlify, site: s, context: branch }\n', 'branch'],
      ['targets:\n  web: { provider: render, service: srv-1, envGroup: evg-1 }\n', 'not both'],
      ['targets: []\n', 'targets'],
      ['version: 2\ntargets:\n  web: { provider: dotenv, path: web.env }\n', 'version'],
      [
        'policy: { deletions: sometimes }\ntargets:\n  web: { provider: dotenv, path: web.env }\n',
        'policy.deletions',
      ],
      ['targets: [unclosed\n', 'not valid YAML'],
    ];
    for (const [text, names] of manifests) {
      const file = path.join(api.dir, 'bad.manifest.yaml');
      await writeFile(file, text);
      let out = '';
      const code = await runCli(['--manifest', file, 'env', 'audit'], {
        env: {},
        cwd: api.dir,
        stdout: (t) => (out += t),
        stderr: (t) => (out += t),
      });
      expect(code, text).toBe(2);
      expect(out, text).toContain(names);
    }
    for (const [env, names] of [
      [{ GITHUB_API_URL: 'not a url' }, 'GITHUB_API_URL'],
      [{ HUBSYNC_DRYRUN: 'perhaps' }, 'HUBSYNC_DRYRUN'],
      [{ ENVSYNC_WEBHOOK_URLS: 'https://ok.example.com,nope' }, 'ENVSYNC_WEBHOOK_URLS'],
      [{ ENVSYNC_WEBHOOK_URLS: 'https://ok.example.com' }, 'ENVSYNC_WEBHOOK_SECRET'],
    ] as const) {
      let out = '';
      const code = await runCli(['env', 'audit'], {
        env,
        cwd: api.dir,
        stdout: (t) => (out += t),
        stderr: (t) => (out += t),
      });
      expect(code, names).toBe(2);
      expect(out).toContain(names);
    }
  });
});
