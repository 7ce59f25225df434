/**
 * Variable names are the providers' to choose: Render and Netlify accept any non-empty name. Names
 * such as `__proto__`, `constructor` or an escape sequence go through list → plan → report →
 * history → API without a 5xx and without touching `Object.prototype`, and are planned as `skip`.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestToken, permissionsOf } from '../../src/auth/tokens.ts';
import { DEFAULT_POLICY } from '../../src/core/model.ts';
import { driftReport } from '../../src/core/report.ts';
import { auditDoc } from '../../src/cli/audit-doc.ts';
import { runCli } from '../../src/cli/main.ts';
import { fingerprinter } from '../../src/core/fingerprint.ts';
import { markdownCode, nameHazard } from '../../src/core/names.ts';
import { openRecords } from '../../src/sync/records.ts';
import { localBlobs } from '../store/helpers.ts';
import { startSandbox } from '../../src/sandbox/index.ts';
import type { Sandbox } from '../../src/sandbox/index.ts';
import { apiHarness, TOKENS } from '../api/helpers.ts';
import type { ApiHarness } from '../api/helpers.ts';
import { NETLIFY, planOne, values } from '../core/helpers.ts';

const SERVICE = 'srv-hostile000000000000';
const ACCOUNT = 'acc-hostile';
const SITE = 'site-hostile';
const TARGET_IDS = ['render', 'staging'];

const SPECIAL = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
  'staging',
  'render',
  '\u001b[2J\u001b[HAll 42 keys in parity',
  'A\nB',
  'RTL\u202eEVIL',
];
const name = fc.oneof(
  fc.constantFrom(...SPECIAL),
  fc.string({ minLength: 1, maxLength: 10 }),
  fc.string({
    unit: fc.constantFrom('_', 'A', '\u001b', '[', '\n', '\u0000', '`', '!'),
    minLength: 1,
    maxLength: 6,
  }),
);
const names = fc.uniqueArray(name, { minLength: 1, maxLength: 6 });

const prototypeKeys = () => Object.getOwnPropertyNames(Object.prototype).sort();
const untouched = prototypeKeys();
function expectPrototypeUntouched(): void {
  expect(prototypeKeys()).toEqual(untouched);
  const probe = {} as Record<string, unknown>;
  for (const id of [...TARGET_IDS, 'toString'])
    expect(typeof probe[id] === 'function' || probe[id] === undefined).toBe(true);
  expect(probe['staging']).toBeUndefined();
}

describe('hostile names in the plan engine', () => {
  it('plan and report take any names; unsafe ones are skipped with a reason, never written or deleted', () => {
    fc.assert(
      fc.property(names, names, (sourceNames, targetNames) => {
        const source = values(Object.fromEntries(sourceNames.map((n) => [n, `s-${n.length}`])));
        const target = values(Object.fromEntries(targetNames.map((n) => [n, `t-${n.length}`])));
        const { plan, entries } = planOne(source, target, { target: NETLIFY, policy: { deletions: 'all' } });
        const report = driftReport(plan);
        JSON.parse(JSON.stringify(report));
        for (const e of entries)
          if (nameHazard(e.key) !== undefined) expect(e.action, JSON.stringify(e.key)).toBe('skip');
        expectPrototypeUntouched();
      }),
    );
  });
});

describe('hostile names in the report, whatever the plan let through', () => {
  it('a conflict on __proto__ and target ids like prototype keys write nothing into Object.prototype', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SPECIAL), fc.constantFrom(...SPECIAL), (key, targetId) => {
        const entry = {
          key,
          sourceKey: key,
          action: 'update' as const,
          finding: 'conflict' as const,
          reason: 'differs from source',
          secret: false,
          sourceFingerprint: 'hmac:aaaaaaaaaaaa',
          targetFingerprint: 'hmac:bbbbbbbbbbbb',
        };
        const report = driftReport({
          source: { kind: 'manifest', id: 'manifest' },
          createdAt: '2026-01-01T00:00:00.000Z',
          policy: DEFAULT_POLICY,
          targets: [{ target: { ...NETLIFY, id: targetId }, entries: [entry] }],
        });
        expect(Object.hasOwn(report.conflicts, key)).toBe(true);
        expect(report.conflicts[key]?.[targetId]).toBe('hmac:bbbbbbbbbbbb');
        expectPrototypeUntouched();
      }),
    );
  });
});

// Property runs over real HTTP: a few seconds each on a loaded machine.
describe('hostile names through the providers and the API', { timeout: 30_000 }, () => {
  let sandbox: Sandbox<'render' | 'netlify'>;
  let api: ApiHarness;

  beforeAll(async () => {
    sandbox = await startSandbox({
      providers: ['render', 'netlify'],
      fixture: {
        render: { services: [{ id: SERVICE, name: 'hostile', envVars: [] }] },
        netlify: {
          accounts: [{ id: ACCOUNT, slug: 'hostile' }],
          sites: [{ id: SITE, name: 'hostile', account_id: ACCOUNT }],
        },
      },
    });
    api = await apiHarness(
      `source: render\ntargets:\n  render: { provider: render, service: ${SERVICE} }\n  staging: { provider: netlify, site: ${SITE}, context: production }\n`,
      {
        RENDER_API_URL: sandbox.render.url,
        RENDER_API_KEY: sandbox.render.token,
        NETLIFY_API_URL: sandbox.netlify.url,
        NETLIFY_AUTH_TOKEN: sandbox.netlify.token,
      },
    );
  });
  afterAll(async () => {
    await api.close();
    await sandbox.close();
  });

  it('no 5xx from any route, and Object.prototype stays as it was', async () => {
    await fc.assert(
      fc.asyncProperty(names, async (planted) => {
        sandbox.render.inspect.reset({ services: [{ id: SERVICE, name: 'hostile', envVars: [] }] });
        for (const n of planted) {
          sandbox.render.inspect.setEnvVar(SERVICE, n, 'render-side');
          sandbox.netlify.inspect.setEnvVar(ACCOUNT, {
            key: n,
            site_id: SITE,
            values: [{ context: 'production', value: 'netlify-side' }],
          });
        }
        const verify = await api.call('POST', '/api/verify', { token: TOKENS.admiral, body: {} });
        expect(verify.status, verify.text).toBeLessThan(500);
        const plan = await api.call('POST', '/api/plan', { token: TOKENS.admiral, body: {} });
        expect(plan.status, plan.text).toBeLessThan(500);
        for (const url of [
          '/api/history',
          '/api/targets',
          '/api/audit',
          '/api/events',
          '/api/history?staging=1',
          '/api/history?target=staging',
          '/api/history?toString=1',
        ]) {
          const res = await api.call('GET', url, { token: TOKENS.admiral });
          expect(res.status, `${url}: ${res.text}`).toBeLessThan(500);
        }
        expectPrototypeUntouched();
      }),
      { numRuns: 12 },
    );
  });
});

describe('hostile roles', () => {
  it('a role named constructor, toString or hasOwnProperty is a reader, not a 500', async () => {
    const roles = ['constructor', 'tostring', 'hasownproperty', '__proto__'];
    const api = await apiHarness(undefined, {
      ENVSYNC_TOKENS: roles
        .filter((r) => /^[a-z]/.test(r))
        .map((role, i) => `odd-${i}:${role}:${digestToken(`odd-role-token-${role}-0123456789`)}`)
        .concat(`odd-c:constructor:${digestToken('odd-role-token-constructor-camel')}`)
        .join(','),
    });
    try {
      for (const role of ['constructor', 'tostring', 'hasownproperty']) {
        const token = `odd-role-token-${role}-0123456789`;
        expect((await api.call('GET', '/api/history', { token })).status).toBe(200);
        expect((await api.call('GET', '/api/audit', { token })).status).toBe(403);
        expect((await api.call('POST', '/api/sync', { token, body: {} })).status).toBe(403);
      }
      expect(permissionsOf('constructor')).toEqual(['reports']);
      expect(permissionsOf('toString')).toEqual(['reports']);
    } finally {
      await api.close();
    }
  });
});

describe('hostile names on the terminal and in Markdown', () => {
  const FAKE = '\u001b[2J\u001b[HAll 42 keys in parity';
  const IMAGE = 'X`\n\n![pixel](https://evil.example/p.png)\n| a | b |';

  it('escape sequences and line breaks in names are shown escaped, never obeyed', async () => {
    const sandbox = await startSandbox({
      providers: ['render'],
      fixture: { render: { services: [{ id: SERVICE, name: 'hostile', envVars: [] }] } },
    });
    try {
      sandbox.render.inspect.setEnvVar(SERVICE, FAKE, 'x');
      sandbox.render.inspect.setEnvVar(SERVICE, 'LINE\nBREAK', 'y');
      const dir = await mkdtemp(path.join(tmpdir(), 'hostile-cli-'));
      await writeFile(
        path.join(dir, 'envsync.manifest.yaml'),
        `source: render\ntargets:\n  render: { provider: render, service: ${SERVICE} }\n  local: { provider: dotenv, path: local.env }\n`,
      );
      await writeFile(path.join(dir, 'local.env'), '');
      let out = '';
      const io = {
        cwd: dir,
        env: {
          ENVSYNC_SNAPSHOT_KEY: Buffer.alloc(32, 4).toString('base64'),
          RENDER_API_URL: sandbox.render.url,
          RENDER_API_KEY: sandbox.render.token,
        },
        stdout: (t: string) => (out += t),
        stderr: (t: string) => (out += t),
      };
      for (const args of [
        ['env', 'plan', '--all'],
        ['env', 'audit'],
        ['env', 'sync', '--yes'],
      ])
        await runCli(args, io);
      // eslint-disable-next-line no-control-regex
      expect(out).not.toMatch(/\u001b/);
      expect(out).toContain('\\x1b[2J\\x1b[HAll 42 keys in parity');
      expect(out).toContain('LINE\\nBREAK');
      expect(out.split('\n').some((line) => line.startsWith('All 42 keys'))).toBe(false);
      expect(out.split('\n').some((line) => line.startsWith('BREAK'))).toBe(false);
    } finally {
      await sandbox.close();
    }
  });

  it('a name cannot inject Markdown (an image, a table row) into the audit document', async () => {
    const shown = markdownCode(IMAGE);
    expect(shown).not.toContain('\n');
    expect(shown.startsWith('``')).toBe(true);
    expect(shown).toContain('\\|');
    expect(markdownCode('API_URL')).toBe('`API_URL`');
    const dir = await mkdtemp(path.join(tmpdir(), 'hostile-doc-'));
    const local = await localBlobs();
    try {
      const records = openRecords({
        blobs: local,
        snapshotKey: () => Buffer.alloc(32, 1),
        fingerprint: fingerprinter('doc'),
        now: () => new Date(),
      });
      await records.audit.append({
        action: 'sync',
        actor: 't',
        correlation_id: 'c1',
        targets: ['render'],
        outcome: 'ok',
        keys: { [`render:${IMAGE}`]: null },
      });
      const doc = await auditDoc(records, {}, new Date());
      await writeFile(path.join(dir, 'doc.md'), doc);
      expect(doc.split('\n').some((line) => line.startsWith('![pixel]'))).toBe(false);
      expect(doc.split('\n').some((line) => line.startsWith('| a | b |'))).toBe(false);
      expect(doc).toContain(markdownCode(`render:${IMAGE}`));
    } finally {
      await local.close();
    }
  });
});
