import { parse as parseDotenv } from 'dotenv';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { seedFileText, yamlString } from '../../src/config/manifest-writer.ts';

describe('the files init writes', () => {
  it('quotes a YAML scalar whenever plain would not read back as the same string', () => {
    for (const text of [
      'API_URL',
      'true',
      'No',
      'null',
      '~',
      '123',
      'a: b',
      '#x',
      'b7c3-d2e1',
      '- x',
      "it's",
      '"q"',
    ])
      expect(load(`v: ${yamlString(text)}`)).toEqual({ v: text });
    expect(yamlString('API_URL')).toBe('API_URL');
    expect(yamlString('true')).toBe('"true"');
  });

  it('writes seed values dotenv reads back unchanged, and names the ones it cannot', () => {
    const values = new Map([
      ['PLAIN', 'https://api.example.com/?a=1#frag'],
      ['QUOTES', `it's "quoted"`],
      ['ALL_QUOTES', `'"\``],
      ['SPACES', '  padded  '],
      ['DOLLAR', '$HOME and \\n literal'],
      ['MULTI', 'line1\nline2'],
      ['bad name', 'x'],
    ]);
    const { text, written, skipped } = seedFileText(values, 'render');
    expect(skipped.sort()).toEqual(['MULTI', 'bad name']);
    const back = parseDotenv(text);
    for (const name of written) expect(back[name]).toBe(values.get(name));
    expect(Object.keys(back).sort()).toEqual([...written].sort());
  });
});
