import { describe, expect, it } from 'vitest';
import { runSweep } from './sweep-harness.ts';

describe('the hourly sweep at organisation scale', () => {
  it('the scheduled function plans and returns; batches check every target once, nothing refused', async () => {
    const f = await runSweep({
      repos: 24,
      services: 12,
      sites: 8,
      keys: 20,
      latencyMs: 20,
      timeScale: 1 / 60,
    });
    console.error(`[sweep] ${JSON.stringify(f)}`);
    expect(f.targets).toBe(44);
    expect(f.outcome).toBe('done (2 batches)');
    expect(f.checked).toBe(44);
    expect(f.unchecked).toBe(0);
    expect(f.refused).toBe(0);
    // One scheduled invocation, one background invocation per batch (at least).
    expect(f.invocations).toBeGreaterThanOrEqual(3);
    expect(f.wallMs).toBeLessThan(f.hourMs);
  }, 120_000);
});
