import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { SOURCES } from '../../scripts/contracts.ts';
import { contractsDirectory, readContractFile } from '../../src/sandbox/contract.ts';
import {
  gitHubContract,
  netlifyContract,
  renderContract,
  startNetlifySandbox,
  startSandbox,
} from '../../src/sandbox/index.ts';
import { compileSchema } from '../../src/sandbox/schema.ts';
import { client } from './http-client.ts';

describe('schema validator', () => {
  it('applies nullable per dialect', () => {
    expect(compileSchema({ type: 'string', nullable: true }, 'openapi-3.0')(null)).toEqual([]);
    expect(compileSchema({ type: 'string' }, 'openapi-3.0')(null)).toHaveLength(1);
    expect(compileSchema({ type: 'string', 'x-nullable': true }, 'swagger-2.0')(null)).toEqual([]);
    expect(() => compileSchema({ type: 'string', nullable: true }, 'swagger-2.0')).toThrow(
      /unsupported schema keyword "nullable"/,
    );
  });

  it('fails loudly on keywords it does not implement rather than skipping them', () => {
    expect(() => compileSchema({ type: 'string', multipleOf: 2 }, 'openapi-3.0')).toThrow(/multipleOf/);
  });

  it('checks required, additionalProperties, enum, pattern, formats, anyOf and integer', () => {
    const validate = compileSchema(
      {
        type: 'object',
        required: ['a'],
        additionalProperties: false,
        properties: {
          a: { type: 'string', enum: ['x'] },
          b: { type: 'string', pattern: '^[0-9]+$' },
          c: { type: 'string', format: 'date-time' },
          d: { type: 'array', items: { anyOf: [{ type: 'integer' }, { type: 'string' }] } },
          e: { type: 'string', format: 'uri' },
        },
      },
      'openapi-3.0',
    );
    expect(
      validate({ a: 'x', b: '12', c: '2024-09-03T23:38:57.548501Z', d: [1, '2'], e: 'https://x.test/a' }),
    ).toEqual([]);
    const keywords = validate({ b: 'no', c: 'yesterday', d: [1.5], e: 'not a uri', f: 1 })
      .map((i) => i.keyword)
      .sort();
    expect(keywords).toEqual(['additionalProperties', 'anyOf', 'format', 'format', 'pattern', 'required']);
    expect(validate({ a: 'y' }).map((i) => i.keyword)).toEqual(['enum']);
  });
});

describe('contracts', () => {
  it('are read from the copies vendored in the repository', () => {
    const repo = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
    expect(contractsDirectory()).toBe(path.join(repo, 'src', 'sandbox', 'contracts'));
    // Exactly the operations scripts/contracts.ts lists for each provider.
    const listed = (i: number) => Object.values(SOURCES[i]?.paths ?? {}).flat().length;
    expect(gitHubContract().operations).toHaveLength(listed(0));
    expect(netlifyContract().operations).toHaveLength(listed(1));
    expect(listed(0)).toBe(56);
    expect(renderContract().operations.length).toBeGreaterThan(15);
  });

  it('honour ENVSYNC_CONTRACTS_DIR', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'contracts-'));
    cpSync(
      path.join(contractsDirectory(), 'netlify-env.swagger.json'),
      path.join(dir, 'netlify-env.swagger.json'),
    );
    process.env.ENVSYNC_CONTRACTS_DIR = dir;
    try {
      expect(contractsDirectory()).toBe(dir);
      expect(readContractFile('netlify-env.swagger.json')).toMatchObject({ swagger: '2.0' });
    } finally {
      delete process.env.ENVSYNC_CONTRACTS_DIR;
    }
  });

  it('declare what each status may carry', () => {
    const put = gitHubContract().operation('PUT', '/repos/{owner}/{repo}/actions/secrets/{secret_name}');
    if (!put) throw new Error('missing operation');
    expect(gitHubContract().validateResponse(put, 201, {})).toEqual([]);
    expect(gitHubContract().validateResponse(put, 201, { extra: 1 })).not.toEqual([]);
    expect(gitHubContract().validateResponse(put, 204, {})).not.toEqual([]);
    expect(gitHubContract().validateResponse(put, 200, {})).toEqual([
      expect.stringContaining('not declared'),
    ]);
    expect(
      gitHubContract().validateResponse(put, 422, { message: 'x', documentation_url: 'y', status: '422' }),
    ).toEqual([]);
  });
});

describe('strict responses', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());

  const plantBrokenScope = async (strictResponses: boolean) => {
    const netlify = await startNetlifySandbox({
      seed: { accounts: [{ id: 'a1', slug: 'a' }] },
      strictResponses,
    });
    close = () => netlify.close();
    // Planted behind the API's back with a scope the contract does not know.
    netlify.inspect.setEnvVar('a1', {
      key: 'K',
      scopes: ['everywhere' as 'builds'],
      values: [{ context: 'all', value: 'v' }],
    });
    return { netlify, reply: await client(netlify.url, netlify.token).get('/accounts/a1/env') };
  };

  it('turn a response that breaks the contract into a loud 500 and record it', async () => {
    const { netlify, reply } = await plantBrokenScope(true);
    expect(reply.status).toBe(500);
    expect(reply.headers.get('x-sandbox-contract-violation')).toBe('true');
    expect(netlify.violations).toHaveLength(1);
    expect(netlify.violations[0]?.problems[0]).toContain('/0/scopes/0');
  });

  it('can be turned off, still recording the violation', async () => {
    const { netlify, reply } = await plantBrokenScope(false);
    expect(reply.status).toBe(200);
    expect(netlify.violations).toHaveLength(1);
  });
});

describe('coverage of the contracts', () => {
  const fill = (template: string, values: Record<string, string>): string =>
    template.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? 'X');

  it('serves every GitHub and Netlify operation, and every Render shape', async () => {
    const sandbox = await startSandbox({
      fixture: {
        github: {
          orgs: [{ login: 'acme' }],
          repos: [{ owner: 'acme', name: 'web', id: 501, environments: [{ name: 'production' }] }],
        },
        netlify: {
          accounts: [{ id: 'a1', slug: 'a' }],
          sites: [{ id: 's1', name: 'web', account_id: 'a1' }],
        },
      },
    });
    try {
      const values = {
        owner: 'acme',
        repo: 'web',
        environment_name: 'production',
        org: 'acme',
        repository_id: '501',
        account_id: 'a1',
        site_id: 's1',
      };
      const targets = [
        { sandbox: sandbox.github, contract: gitHubContract(), strip: '' },
        { sandbox: sandbox.netlify, contract: netlifyContract(), strip: '/api/v1' },
        { sandbox: sandbox.render, contract: renderContract(), strip: '' },
      ];
      for (const { sandbox: s, contract, strip } of targets) {
        for (const op of contract.operations) {
          const servedPath = op.path.startsWith(strip) && strip ? op.path.slice(strip.length) : op.path;
          await client(s.url, s.token).call(op.method, fill(servedPath, values));
          const last = s.log.entries.at(-1);
          expect(last?.path, `${op.method} ${op.path}`).toBe(servedPath);
          expect(last?.status, `${op.method} ${op.path}`).not.toBe(405);
          expect(last?.status, `${op.method} ${op.path} must not crash on an empty request`).toBeLessThan(
            500,
          );
        }
        expect(s.violations).toEqual([]);
      }
    } finally {
      await sandbox.close();
    }
  });
});
