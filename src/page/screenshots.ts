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
} finally {
  await browser.close();
  await fixture.close();
}
