/* eslint-disable no-console -- a script that reports the files it writes */
/**
 * `npm run screenshots`: the parity page's main views, in headless Chromium against the API on
 * the provider sandboxes with a month of seeded hourly checks, written to docs/screenshots/.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium } from './browser.ts';
import { PAGE_TOKENS, REPO_ROOT, startPageFixture } from './fixture.ts';

const OUT = path.join(REPO_ROOT, 'docs/screenshots');

const fixture = await startPageFixture({ checks: 24 * 30 });
const browser = await launchChromium();
await mkdir(OUT, { recursive: true });

async function shot(
  name: string,
  query: string,
  options: {
    token?: string;
    dark?: boolean;
    phone?: boolean;
    full?: boolean;
    then?: (page: Page) => Promise<void>;
  } = {},
) {
  const page = await browser.context.newPage();
  await page.emulateMedia({ colorScheme: options.dark ? 'dark' : 'light' });
  await page.setViewportSize(options.phone ? { width: 390, height: 844 } : { width: 1280, height: 900 });
  await page.addInitScript(
    (t) => sessionStorage.setItem('envsync.token', t),
    options.token ?? PAGE_TOKENS.admiral,
  );
  await page.goto(`${fixture.url}/${query}`);
  await page.waitForLoadState('networkidle');
  await options.then?.(page);
  await page.waitForLoadState('networkidle');
  const file = path.join(OUT, `${name}.png`);
  await page.screenshot({ path: file, fullPage: options.full ?? false });
  await page.close();
  console.log(path.relative(REPO_ROOT, file));
}

try {
  await shot('status-and-chart', '');
  await shot('history-table', '?range=30d', {
    full: true,
    then: (page) => page.locator('#history-title').scrollIntoViewIfNeeded(),
  });
  await shot('history-filtered', '?target=netlify&status=drift&sort=conflicts', { full: true });
  await shot('check-detail', `?view=check&id=${fixture.realChecks[0]}`, { full: true });
  await shot('snapshots', '?view=snapshots', {
    then: (page) =>
      page
        .locator('details')
        .first()
        .evaluate((el) => el.setAttribute('open', '')),
  });
  await shot('audit-trail', '?view=audit', { then: (page) => page.click('#verify-chain') });
  await shot('unauthorized', '', { token: 'not-a-valid-token' });
  await shot('viewer-forbidden', '?view=audit', { token: PAGE_TOKENS.viewer });
  await shot('dark', '', { dark: true });
  await shot('phone', '', { phone: true });
  await shot('phone-history', '?target=render', {
    phone: true,
    then: (page) => page.locator('#history-title').scrollIntoViewIfNeeded(),
  });
  await shot('matrix', '?view=matrix', { full: true });
  await shot('matrix-reason', '?view=matrix&state=conflict', {
    then: (page) => page.locator('#matrix .chip-conflict').focus(),
  });
  await shot('key-timeline', '?view=key&key=REACT_APP_API_URL', { full: true });
  await shot('actions-plan', '', {
    full: true,
    then: async (page) => {
      await page.click('#action-plan');
      await page.click('#confirm-ok');
      await page.waitForSelector('#apply-plan');
      await page.locator('#actions').scrollIntoViewIfNeeded();
    },
  });
  await shot('actions-confirm', '', {
    then: async (page) => {
      await page.click('#action-plan');
      await page.click('#confirm-ok');
      await page.click('#apply-plan');
      await page.waitForSelector('dialog#confirm[open]');
    },
  });
  await shot('actions-sync-done', '', {
    then: async (page) => {
      await page.click('#action-plan');
      await page.click('#confirm-ok');
      await page.click('#apply-plan');
      await page.click('#confirm-ok');
      await page.waitForSelector('#sync-result a', { timeout: 20_000 });
      await page.locator('#sync-title').scrollIntoViewIfNeeded();
    },
  });
  await shot('snapshot-rollback', '?view=snapshots', {
    full: true,
    then: async (page) => {
      const before = page.locator('#view tbody tr', { hasText: 'before a sync' }).first();
      await before.locator('button', { hasText: 'Roll back…' }).click();
      await page.waitForSelector('#snapshot-detail #rollback-confirm');
    },
  });
  await shot('events', '?view=events', {
    then: (page) =>
      page
        .locator('#view tbody details')
        .first()
        .evaluate((el) => el.setAttribute('open', '')),
  });
  await shot('viewer', '', { token: PAGE_TOKENS.viewer });
  await shot('phone-matrix', '?view=matrix', { phone: true });
  await shot('phone-check', `?view=check&id=${fixture.realChecks[0]}`, { phone: true });
  await shot('phone-audit', '?view=audit', { phone: true });
} finally {
  await browser.close();
  await fixture.close();
}
