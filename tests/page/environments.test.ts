/**
 * Environments and approvals on the page (issue #17, points 1 and 5), in real Chromium: the
 * environment filter keeps to one environment's tiles and checks (and in the URL), and a plan
 * waiting for approval is approved from its event by an admiral who did not make it.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scheduledDriftCheck } from '../../src/api/scheduled.ts';
import { environmentsOf } from '../../src/config/manifest.ts';
import { queueForApproval } from '../../src/sync/approvals.ts';
import { planRun } from '../../src/sync/run.ts';
import { REPO_ROOT } from './support/fixture.ts';
import { startHarness } from './support/harness.ts';
import type { Harness } from './support/harness.ts';

let harness: Harness;

beforeAll(async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'page-envs-'));
  const manifest = path.join(dir, 'envsync.manifest.yaml');
  const seed = path.join(REPO_ROOT, 'docs/examples/seed.env');
  await writeFile(
    manifest,
    [
      'environments:',
      '  production:',
      `    seed: ${seed}`,
      '    approvals: { required: 1 }',
      '    targets: { render: { provider: render }, netlify: { provider: netlify } }',
      '    policy: { exclude: [RENDER_, NETLIFY_] }',
      '  staging:',
      `    seed: ${seed}`,
      '    targets: { github-vars: { provider: github, store: variables } }',
      '    keys: { ALLOWED_ORIGINS: {}, CORS_ALLOW_ALL: {}, AUTO_DIAGNOSE: {}, DEBUG: {}, REACT_APP_API_URL: {} }',
      '',
    ].join('\n'),
  );
  harness = await startHarness({ manifest, realChecks: false });
  await scheduledDriftCheck(harness.fixture.deps);
}, 120_000);
afterAll(() => harness.close());

describe('environments on the page', () => {
  it("the filter shows one environment's targets and checks, kept in the URL", async () => {
    const page = await harness.open();
    await page.getByRole('combobox', { name: 'Environment' }).waitFor();
    const tiles = () => page.locator('.tiles h3').allTextContents();
    expect((await tiles()).length).toBe(3);
    await page.getByRole('combobox', { name: 'Environment' }).selectOption('staging');
    await page.waitForURL(/env=staging/);
    await expect.poll(tiles).toHaveLength(1);
    expect((await tiles())[0]).toContain('github');
    // The history keeps to staging's checks: each row names github-vars only.
    const rows = page.locator('#history-table tbody tr');
    await rows.first().waitFor();
    for (const text of await rows.allTextContents()) expect(text).toContain('github-vars');
    await page.close();
  });

  it('a plan waiting for approval is approved from its event', async () => {
    const { deps } = harness.fixture;
    const [production] = environmentsOf(await deps.project(), 'production');
    if (!production) throw new Error('no production environment');
    const planned = await planRun(deps.ctx, { project: production });
    const plan = await queueForApproval(deps.ctx, planned, {
      actor: 'scheduler',
      spec: { env: 'production' },
      required: 1,
    });
    const page = await harness.open(`?view=events&correlation_id=${plan.id}`);
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('Approved (1 of 1).').waitFor();
    const stored = await deps.records.plans.get(plan.id);
    expect(stored && deps.records.plans.validApprovals(stored).map((a) => a.approver)).toEqual([
      'admiral:admiral-page',
    ]);
    expect(harness.pageErrors).toEqual([]);
    await page.close();
  });
});
