import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dir = fileURLToPath(new URL('../../src/cli/', import.meta.url));

describe('the CLI modules', () => {
  it('import downward: no command module imports main.ts, which registers them', () => {
    const circular = readdirSync(dir)
      .filter((f) => f.endsWith('-commands.ts'))
      .filter((f) => /from '\.\/main\.ts'/.test(readFileSync(`${dir}${f}`, 'utf8')));
    expect(circular).toEqual([]);
  });
});
