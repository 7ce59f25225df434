import { describe, expect, it } from 'vitest';
import { faultSeed, runFaults } from './faults-harness.ts';

const SCENARIOS = Number(process.env['ENVSYNC_FAULT_SCENARIOS'] ?? 25);

describe('syncs under injected faults (20 % of answers)', () => {
  it(
    `${SCENARIOS} random scenarios converge with nothing lost or duplicated`,
    async () => {
      const seed = faultSeed();
      console.error(`[faults] seed ${seed} (replay with ENVSYNC_FAULT_SEED=${seed})`);
      const figures = await runFaults({ scenarios: SCENARIOS, seed });
      expect(figures.problems, `seed ${seed}`).toEqual([]);
      expect(figures.converged).toBe(SCENARIOS);
      expect(figures.lost).toBe(0);
      expect(figures.duplicated).toBe(0);
      expect(figures.duplicatedRecords).toBe(0);
      // The run did meet faults of every kind it asked for, and the client retried through them.
      expect(figures.faultsTotal / figures.requests).toBeGreaterThan(0.1);
      expect(figures.retries).toBeGreaterThan(0);
      expect(figures.writesPlanned).toBeGreaterThan(SCENARIOS);
    },
    Math.max(120_000, SCENARIOS * 5_000),
  );
});
