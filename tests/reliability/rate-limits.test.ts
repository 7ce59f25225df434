import { describe, expect, it } from 'vitest';
import { runCase } from './rate-limits-harness.ts';
import type { Case } from './rate-limits-harness.ts';

/**
 * Time scales that make each case last a few seconds: GitHub's minute lasts 1 s (6 windows),
 * Render's 250 ms (16 windows), Netlify's 3 s (1 window). The ratio goal is 1.05; the test allows
 * 1.10 because a loaded CI machine adds timer slack to every window.
 */
const SCALES: Record<Case, number> = {
  'github-org-secrets': 1 / 60,
  render: 1 / 240,
  'netlify-creates': 1 / 20,
  'netlify-updates': 1 / 20,
};

describe('500-key syncs under the providers real budgets', () => {
  for (const kind of ['github-org-secrets', 'render', 'netlify-updates'] as const) {
    it(`${kind}: no 403/429, within 10 % of the pacing bound`, async () => {
      // Key by key: the pacing is what is measured (Render's merged writes have their own test).
      const f = await runCase(kind, { keys: 500, timeScale: SCALES[kind], renderMerged: false });
      console.error(
        `[rate-limits] ${kind}: span ${f.spanMs} ms, bound ${f.boundMs} ms, ratio ${f.ratio?.toFixed(3)}`,
      );
      expect(f.ok).toBe(true);
      expect(f.refused).toBe(0);
      expect(f.counted).toBeGreaterThanOrEqual(500);
      expect(f.boundMs).toBeGreaterThan(0);
      // Never faster than the budget allows (that would have met a 429), never much slower.
      expect(f.ratio).toBeGreaterThanOrEqual(1);
      expect(f.ratio).toBeLessThanOrEqual(1.1);
    }, 30_000);
  }

  it('netlify-creates: 500 new keys go in one bulk POST, no pacing wait, no 429', async () => {
    const f = await runCase('netlify-creates', { keys: 500, timeScale: SCALES['netlify-creates'] });
    expect(f.ok).toBe(true);
    expect(f.refused).toBe(0);
    expect(f.byRoute).toEqual({ 'GET /accounts/{account_id}/env': 1, 'POST /accounts/{account_id}/env': 1 });
    expect(f.boundMs).toBe(0);
    expect(f.wallMs).toBeLessThan(f.windowRealMs);
  }, 30_000);
});
