import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { extractContract, SOURCES } from '../../scripts/contracts.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const vendored = (name: string) =>
  JSON.parse(readFileSync(path.join(repo, 'src/sandbox/contracts', name), 'utf8')) as Record<string, unknown>;

describe('npm run contracts', () => {
  const source = {
    output: 'x.json',
    packageName: 'pkg',
    version: '1.2.3',
    file: 'doc.json',
    keep: ['swagger'],
    paths: { '/a': ['get'] },
  };
  const doc = {
    swagger: '2.0',
    ignored: true,
    definitions: {
      node: { type: 'object', properties: { child: { $ref: '#/definitions/node' }, z: { type: 'string' } } },
    },
    paths: {
      '/a': { get: { responses: { 200: { schema: { $ref: '#/definitions/node' } } } }, post: {} },
      '/b': { get: {} },
    },
  };

  it('keeps the listed operations, inlines $refs (a cycle stops at an object) and records the origin', () => {
    const out = extractContract(source, doc) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(['paths', 'swagger', 'x-envsync-source']);
    expect(out.paths).toEqual({
      '/a': {
        get: {
          responses: {
            200: {
              schema: { properties: { child: { type: 'object' }, z: { type: 'string' } }, type: 'object' },
            },
          },
        },
      },
    });
    expect(out['x-envsync-source']).toMatchObject({ package: 'pkg', version: '1.2.3', file: 'doc.json' });
  });

  it('is deterministic: the same input gives the same bytes', () => {
    expect(JSON.stringify(extractContract(source, doc))).toBe(JSON.stringify(extractContract(source, doc)));
  });

  it('refuses a pinned package that lacks a path the sandbox serves', () => {
    expect(() => extractContract({ ...source, paths: { '/missing': ['get'] } }, doc)).toThrow(
      /no path \/missing/,
    );
  });

  it('the committed files are what the pinned versions give: origin, and exactly the listed paths', () => {
    for (const s of SOURCES) {
      const file = vendored(s.output);
      expect(file['x-envsync-source']).toMatchObject({
        package: s.packageName,
        version: s.version,
        file: s.file,
      });
      expect(Object.keys(file.paths as object).sort()).toEqual(Object.keys(s.paths).sort());
    }
    const render = JSON.parse(
      readFileSync(path.join(repo, 'src/sandbox/contracts/render-env.recorded.json'), 'utf8'),
    ) as { source: string }[];
    expect(render.length).toBe(83);
    expect(render.every((e) => e.source.startsWith('render-oss/terraform-provider-render:'))).toBe(true);
  });
});

describe('the repository', () => {
  it('reads and links nothing outside itself', () => {
    const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard'], {
      cwd: repo,
      encoding: 'utf8',
    })
      .split('\n')
      .filter((f) => f && /\.(ts|mts|mjs|js|json|md|toml|yml|yaml|sh)$|^\.ci\//.test(f))
      .filter((f) => f !== 'package-lock.json' && !f.startsWith('src/sandbox/contracts/'));
    const outside = /\.\.\/shared|shared\/contracts|\/work\//;
    const offenders = files.filter((f) => outside.test(readFileSync(path.join(repo, f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
