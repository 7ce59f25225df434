/**
 * One fixture and one Chromium per test file, a page opener with a token, and a record of every
 * API answer and page error, for the canary and error checks.
 */
import type { Page } from 'playwright-core';
import { launchChromium } from './browser.ts';
import { PAGE_TOKENS, startPageFixture } from './fixture.ts';
import type { PageFixture } from './fixture.ts';

export interface Harness {
  readonly fixture: PageFixture;
  readonly browser: Awaited<ReturnType<typeof launchChromium>>;
  /**
   * Every API answer the page server sent, URL then body: read as the server sends them, so none
   * is missed because a page closed before the browser read its body.
   */
  readonly bodies: readonly string[];
  readonly pageErrors: string[];
  open(query?: string, token?: string, viewport?: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

export async function startHarness(
  options: { checks?: number; manifest?: string; realChecks?: boolean } = {},
): Promise<Harness> {
  const fixture = await startPageFixture({
    checks: options.checks ?? 0,
    ...(options.manifest ? { manifest: options.manifest } : {}),
    ...(options.realChecks === false ? { realChecks: false } : {}),
  });
  const browser = await launchChromium();
  const pageErrors: string[] = [];
  return {
    fixture,
    browser,
    bodies: fixture.sent,
    pageErrors,
    async open(query = '', token: string = PAGE_TOKENS.admiral, viewport) {
      const page = await browser.context.newPage();
      if (viewport) await page.setViewportSize(viewport);
      page.on('pageerror', (e) => pageErrors.push(e.message));
      await page.addInitScript((t) => sessionStorage.setItem('envsync.token', t), token);
      await page.goto(`${fixture.url}/${query}`);
      return page;
    },
    async close() {
      await browser.close();
      await fixture.close();
    },
  };
}

/** The whole DOM as HTML, open `<details>` included. */
export async function domText(page: Page): Promise<string> {
  await page.$$eval('details', (els) => els.forEach((el) => el.setAttribute('open', '')));
  return page.evaluate(() => document.documentElement.outerHTML);
}

/** How far the page scrolls sideways (0: it fits). */
export const sideways = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
