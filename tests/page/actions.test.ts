/**
 * Actions by role in real Chromium, through the API the CLI uses: a viewer is offered nothing it
 * cannot do; an architect checks and plans; an admiral applies a plan (its progress followed, its
 * audit entries and events linked), is told when a plan went stale, and rolls a target back to a
 * snapshot after seeing its plan. Every action asks first and works by keyboard.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../src/sandbox/demo.ts';
import { PAGE_CANARY, PAGE_TOKENS } from './support/fixture.ts';
import { domText, startHarness } from './support/harness.ts';
import type { Harness } from './support/harness.ts';

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness({ checks: 10 });
}, 90_000);

afterAll(async () => {
  await harness?.close();
});

const CONTROLS = /^(Check now|Plan|Apply this plan|Roll back.*|Compare with now|Plan again)$/;

/** Names of the visible buttons that act (not filters, pagers or copy buttons). */
async function actionButtons(page: Page): Promise<string[]> {
  const names = await page.$$eval('button', (bs) =>
    bs.filter((b) => b.getClientRects().length > 0).map((b) => b.textContent?.trim() ?? ''),
  );
  return names.filter((n) => CONTROLS.test(n));
}

/** Confirms the open dialog by keyboard: its text, then Tab from Cancel to the action, Enter. */
async function confirmByKeyboard(page: Page): Promise<string> {
  await page.waitForSelector('dialog#confirm[open]');
  const text = (await page.textContent('dialog#confirm')) ?? '';
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('confirm-cancel');
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('confirm-ok');
  await page.keyboard.press('Enter');
  await page.waitForSelector('dialog#confirm[open]', { state: 'detached' });
  return text;
}

describe('a viewer', () => {
  it('sees its name and role and no control it cannot use, on any view', async () => {
    const views = [
      '',
      '?view=matrix',
      `?view=check&id=${harness.fixture.realChecks[0]}`,
      '?view=key&key=DEBUG',
    ];
    for (const view of views) {
      const page = await harness.open(view, PAGE_TOKENS.viewer);
      await page.waitForSelector('#whoami strong');
      await page.waitForLoadState('networkidle');
      expect(await page.textContent('#whoami')).toMatch(/viewer-page.*role viewer/);
      expect(await page.isVisible('#actions')).toBe(false);
      expect(await actionButtons(page), view).toEqual([]);
      // Nor links to views its role cannot open.
      expect(
        await page.$$eval('main a', (as) =>
          as.map((a) => a.getAttribute('href') ?? '').filter((h) => /view=(audit|events|snapshots)/.test(h)),
        ),
      ).toEqual([]);
      await page.close();
    }
  }, 60_000);
});

describe('an architect', () => {
  it('checks now by keyboard: asked first (targets named), then the result links to its check, audit entries and events', async () => {
    const page = await harness.open('', PAGE_TOKENS.architect);
    await page.waitForSelector('#action-check');
    expect(await page.textContent('#whoami')).toMatch(/architect-page.*role architect/);
    const before = (await harness.fixture.deps.records.history.list({ limit: 1 })).total;
    await page.focus('#action-check');
    await page.keyboard.press('Enter');
    // Cancel first: nothing happens.
    await page.waitForSelector('dialog#confirm[open]');
    await page.keyboard.press('Escape');
    await page.waitForSelector('dialog#confirm[open]', { state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('action-check');
    expect((await harness.fixture.deps.records.history.list({ limit: 1 })).total).toBe(before);
    await page.keyboard.press('Enter');
    const asked = await confirmByKeyboard(page);
    expect(asked).toMatch(/Reads 4 targets \(render, netlify, github-vars, github-secrets\)/);
    await page.waitForSelector('#action-result a');
    expect(await page.textContent('#action-result')).toMatch(/Check recorded: \d+ of \d+ keys in parity/);
    expect((await harness.fixture.deps.records.history.list({ limit: 1 })).total).toBe(before + 1);
    const newest = (await harness.fixture.deps.records.history.list({ limit: 1 })).items[0];
    const links = await page.$$eval('#action-result a', (as) => as.map((a) => a.getAttribute('href')));
    expect(links).toEqual([
      `?view=check&id=${newest?.id}`,
      `?view=audit&correlation_id=${newest?.correlation_id}`,
      `?view=events&correlation_id=${newest?.correlation_id}`,
    ]);
    expect(await page.getAttribute('#action-result', 'aria-live')).toBe('polite');
    await page.close();
  }, 30_000);

  it('plans one target (names, actions, reasons, fingerprints; no values) but is offered no Apply', async () => {
    const page = await harness.open('', PAGE_TOKENS.architect);
    await page.waitForSelector('#action-plan');
    for (const id of ['render', 'github-vars', 'github-secrets'])
      await page.uncheck(`#action-targets input[value="${id}"]`);
    await page.click('#action-plan');
    expect(await confirmByKeyboard(page)).toMatch(/Reads 1 target \(netlify\)/);
    await page.waitForSelector('#plan-title');
    const plan = (await page.textContent('#plan-area')) ?? '';
    expect(plan).toMatch(/1 change on 1 target — netlify: 1 update/);
    const row = await page.$eval('#plan-area table.plan tbody tr', (tr) =>
      [...tr.querySelectorAll('td')].map((td) => td.textContent),
    );
    expect(row[0]).toBe('netlify');
    expect(row[1]).toBe('REACT_APP_API_URL');
    expect(row[2]).toBe('update');
    expect(row[3]).toBe('differs from source');
    expect(row[4]).toMatch(/^hmac2:/);
    expect(row[5]).toMatch(/^hmac2:/);
    expect(await actionButtons(page)).toEqual(['Check now', 'Plan']);
    expect(await page.$$eval('#plan-area a', (as) => as.map((a) => a.getAttribute('href')))).toEqual([
      expect.stringMatching(/^\?view=audit&correlation_id=plan_/),
    ]);
    // It may compare a snapshot with now, not roll back.
    const snaps = await harness.open('?view=snapshots', PAGE_TOKENS.architect);
    await snaps.waitForSelector('.table-wrap tbody tr');
    expect(new Set(await actionButtons(snaps))).toEqual(new Set(['Compare with now']));
    await page.close();
    await snaps.close();
  }, 30_000);
});

describe('an admiral', () => {
  it('is told when a plan went stale, with the keys that moved, and plans again', async () => {
    const page = await harness.open('');
    await page.waitForSelector('#action-plan');
    await page.click('#action-plan');
    await confirmByKeyboard(page);
    await page.waitForSelector('#apply-plan');
    // Someone changes Render after the plan was made.
    harness.fixture.session.sandbox.render.inspect.setEnvVar(
      DEMO.renderServiceId,
      'DEBUG',
      'changed-by-hand',
    );
    await page.click('#apply-plan');
    await confirmByKeyboard(page);
    await page.waitForSelector('#apply-area [role=alert]');
    expect(await page.textContent('#apply-area')).toMatch(
      /out of date.*nothing was written.*Keys that moved: render:DEBUG/s,
    );
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('replan');
    await page.keyboard.press('Enter');
    await confirmByKeyboard(page);
    await page.waitForFunction(() =>
      /render: 1 update/.test(document.querySelector('#plan-area')?.textContent ?? ''),
    );
    await page.close();
  }, 30_000);

  it('applies a plan by keyboard: asked with targets and counts, progress followed, audit entries and events linked', async () => {
    // Render's DEBUG differs from the source (as the stale-plan test left it), Netlify's API URL too.
    harness.fixture.session.sandbox.render.inspect.setEnvVar(
      DEMO.renderServiceId,
      'DEBUG',
      'changed-by-hand',
    );
    const page = await harness.open('');
    await page.waitForSelector('#action-plan');
    await page.focus('#action-plan');
    await page.keyboard.press('Enter');
    expect(await confirmByKeyboard(page)).toMatch(/Reads 4 targets/);
    await page.waitForSelector('#apply-plan');
    const counts = (await page.textContent('#plan-area p')) ?? '';
    expect(counts).toMatch(/2 changes on 2 targets — render: 1 update; netlify: 1 update/);
    await page.focus('#apply-plan');
    await page.keyboard.press('Enter');
    expect(await confirmByKeyboard(page)).toMatch(
      /Writes 2 changes on 2 targets — render: 1 update; netlify: 1 update/,
    );
    await page.waitForSelector('#sync-result a', { timeout: 20_000 });
    expect(await page.textContent('#sync-status')).toMatch(/Done: 2 of 2 writes done/);
    expect(await page.getAttribute('#sync-status', 'role')).toBe('status');
    expect(
      await page.$eval('#sync-progress', (p) => [
        (p as HTMLProgressElement).value,
        (p as HTMLProgressElement).max,
      ]),
    ).toEqual([2, 2]);
    expect(await page.textContent('#sync-result')).toMatch(/Sync done: 2 changes applied, 0 failed/);
    const id = (await page.textContent('#sync-title code')) ?? '';
    const links = await page.$$eval('#sync-result a', (as) => as.map((a) => a.getAttribute('href')));
    expect(links).toEqual([`?view=audit&correlation_id=${id}`, `?view=events&correlation_id=${id}`]);
    // The sync recorded a check when it ended, and the targets are in parity now.
    const newest = (await harness.fixture.deps.records.history.list({ limit: 1 })).items[0];
    expect(newest?.trigger).toBe('sync');
    // The tiles say so after the sync, as the audit trail does: the two it wrote (drifted before) are in parity.
    const tiles = await harness.open('');
    await tiles.waitForSelector('body[data-rendered]');
    const states = await tiles.$$eval('.tile', (els) => els.map((el) => el.textContent ?? ''));
    expect(states).toHaveLength(4);
    expect(states.filter((t) => /Drifted/.test(t))).toEqual([]);
    await tiles.close();
    // Its events, as readable rows.
    await page.click('#sync-result a:text("Events it produced")');
    await page.waitForSelector('#events-title');
    await page.waitForSelector('#view .table-wrap tbody tr');
    const rows = await page.$$eval('#view .table-wrap tbody tr', (trs) =>
      trs.map((tr) => tr.textContent ?? ''),
    );
    expect(
      rows.some((r) => /Sync started.*render, netlify.*planned: 2 updates.*No delivery recorded/.test(r)),
    ).toBe(true);
    expect(rows.some((r) => /Changes written.*netlify.*0 created, 1 updated, 0 deleted/.test(r))).toBe(true);
    // The raw JSON is behind a toggle.
    expect(await page.isVisible('#view .table-wrap tbody tr pre')).toBe(false);
    await page.click('#view .table-wrap tbody tr summary');
    expect(await page.isVisible('#view .table-wrap tbody tr pre')).toBe(true);
    await page.close();
  }, 45_000);

  it('copies a snapshot id, compares a snapshot with now, and rolls back after seeing its plan', async () => {
    await harness.browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], {
      origin: harness.fixture.url,
    });
    const page = await harness.open('?view=snapshots&target=netlify');
    await page.waitForSelector('.table-wrap tbody tr');
    // The newest snapshot of netlify is the one taken after the sync above; the one before it holds the old value.
    const before = page.locator('.table-wrap tbody tr', { hasText: 'before a sync' }).first();
    const id = (await before.locator('code.id').textContent()) ?? '';
    expect(id).toMatch(/^netlify\./);
    // By keyboard, every control of the row: focus, Enter.
    await before.locator('button.copy').focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() =>
      /Copied/.test(document.querySelector('.copied:not(:empty)')?.textContent ?? ''),
    );
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(id);
    await before.locator('button', { hasText: 'Compare with now' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('#snapshot-detail table.plan');
    expect(await page.textContent('#snapshot-detail')).toMatch(
      /netlify has moved since: restoring the snapshot would write 1 change on 1 target — netlify: 1 update/,
    );
    // Roll back: the plan first (nothing written yet), then asked, then queued and followed.
    await before.locator('button', { hasText: 'Roll back…' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('#rollback-confirm');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('snapshot-detail-title');
    expect(await page.textContent('#snapshot-detail')).toMatch(
      /It would write 1 change on 1 target — netlify: 1 update/,
    );
    await page.focus('#rollback-confirm');
    await page.keyboard.press('Enter');
    expect(await confirmByKeyboard(page)).toMatch(
      new RegExp(`Restores snapshot ${id.replace(/\./g, '\\.')} on netlify: 1 change`),
    );
    await page.waitForSelector('#sync-result a', { timeout: 20_000 });
    expect(await page.textContent('#sync-result')).toMatch(/Rollback done: 1 change applied/);
    // The rollback recorded a check of netlify against the source as it ended (trigger sync).
    const [newest] = (await harness.fixture.deps.records.history.list({ target: 'netlify', limit: 1 })).items;
    expect(newest?.trigger).toBe('sync');
    await page.close();
  }, 45_000);

  it('never received or showed the canary; no page error', async () => {
    const page = await harness.open('?view=events');
    await page.waitForSelector('.table-wrap tbody tr');
    expect(await domText(page)).not.toContain(PAGE_CANARY);
    await page.close();
    expect(harness.bodies.join('\n')).toContain('"plan_id"');
    expect(harness.bodies.join('\n')).not.toContain(PAGE_CANARY);
    expect(harness.pageErrors).toEqual([]);
  });
});
