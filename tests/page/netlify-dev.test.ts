/**
 * The page as `npm start` serves it: `netlify dev --offline` serves public/ (uPlot copied into
 * public/vendor/ by the stack) beside the real function doors.
 */
import path from 'node:path';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDevStack } from '../../src/cli/dev-stack.ts';
import type { DevStack } from '../../src/cli/dev-stack.ts';
import { launchChromium } from './support/browser.ts';
import { REPO_ROOT } from './support/fixture.ts';

const PORT = 8950 + Math.floor(Math.random() * 40);
const BLOBS = path.join(REPO_ROOT, `.envsync/page-blobs-${PORT}`);
let stack: DevStack;

beforeAll(async () => {
  stack = await startDevStack({ repoRoot: REPO_ROOT, port: PORT, blobsDir: BLOBS });
}, 120_000);
afterAll(async () => {
  await stack?.close();
  await rm(BLOBS, { recursive: true, force: true });
});

it('serves the page, its chart library and the API through netlify dev', async () => {
  const verify = await fetch(`${stack.url}/api/verify`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.tokens.architect}`, 'content-type': 'application/json' },
    body: '{}',
  });
  expect(verify.status).toBe(200);
  const vendor = await fetch(`${stack.url}/vendor/uPlot.iife.min.js`);
  expect(vendor.status).toBe(200);
  expect(await vendor.text()).toContain('uPlot');
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.addInitScript((t) => sessionStorage.setItem('envsync.token', t), stack.tokens.viewer);
    await page.goto(`${stack.url}/`);
    await page.waitForSelector('body[data-rendered]');
    expect(await page.$$eval('.tile', (els) => els.length)).toBe(4);
    // The one check just recorded: one row, its four targets in it.
    const rows = await page.$$eval('#history-table tbody tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/render.*netlify.*github-vars.*github-secrets/);
    expect(await page.$$eval('#chart canvas', (els) => els.length)).toBe(1);
    expect(errors).toEqual([]);
  } finally {
    await browser.close();
  }
}, 60_000);
