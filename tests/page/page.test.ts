/**
 * The parity page in real Chromium (Debian's, through playwright-core) against the API on the
 * provider sandboxes: seeded history, chart, filters, sort, pagination, check detail, role and
 * token messages, the page's size and structure, and no secret value anywhere the browser can see.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../src/sandbox/demo.ts';
import { launchChromium } from './support/browser.ts';
import { PAGE_CANARY, PAGE_TOKENS, REPO_ROOT } from './support/fixture.ts';
import type { PageFixture } from './support/fixture.ts';
import { domText, startHarness } from './support/harness.ts';
import type { Harness } from './support/harness.ts';

const SYNTHETIC = 120;
let harness: Harness;
let fixture: PageFixture;

beforeAll(async () => {
  harness = await startHarness({ checks: SYNTHETIC });
  fixture = harness.fixture;
}, 90_000);

afterAll(async () => {
  await harness?.close();
});

const open = (query = '', token: string = PAGE_TOKENS.admiral) => harness.open(query, token);

/** Visible rows of the history table, as [time, trigger, target, status] texts. */
async function rows(page: Page): Promise<string[][]> {
  return page.$$eval('#history-table tbody tr', (trs) =>
    trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent?.trim() ?? '')),
  );
}

describe('the parity page', () => {
  it('loads with the seeded history: one tile per target, the table, the count', async () => {
    const page = await open();
    await page.waitForSelector('body[data-rendered]');
    const tiles = await page.$$eval('.tile', (els) => els.map((el) => el.textContent ?? ''));
    expect(tiles).toHaveLength(4);
    expect(tiles.join('\n')).toMatch(/render/);
    expect(tiles.join('\n')).toMatch(/Drifted|In parity/);
    const count = await page.textContent('#history-count');
    // The fixture's three checks, and the check its sync recorded when it ended.
    expect(count).toContain(`of ${SYNTHETIC + 4}`);
    const table = await rows(page);
    // One row per check (its targets in one cell, each with its state), not one per target.
    expect(table).toHaveLength(25);
    expect(table[0]?.[2]).toMatch(/manifest → /);
    const multi = table.find(
      (r) => (r[2] ?? '').includes('github-secrets') && (r[2] ?? '').includes('render'),
    );
    expect(multi?.[2]).toMatch(/render [✓✗]/);
    expect(await page.textContent('#updated')).toMatch(/Last updated/);
    const mark = await page.evaluate(() => performance.getEntriesByName('envsync:first-render').length);
    expect(mark).toBe(1);
    await page.close();
  }, 30_000);

  it('draws the chart of drifted keys per target', async () => {
    const page = await open('?range=30d');
    await page.waitForSelector('#chart canvas');
    await page.waitForSelector('body[data-rendered]');
    const painted = await page.$eval('#chart canvas', (canvas) => {
      const c = canvas as HTMLCanvasElement;
      const data = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
      let opaque = 0;
      for (let i = 3; i < data.length; i += 4) if ((data[i] ?? 0) > 0) opaque += 1;
      return { width: c.width, opaque };
    });
    expect(painted.width).toBeGreaterThan(200);
    expect(painted.opaque).toBeGreaterThan(500);
    const legend = await page.$$eval('#chart .u-legend .u-series', (els) =>
      els.map((el) => el.textContent ?? ''),
    );
    expect(legend.join(' ')).toMatch(/render.*netlify.*github-vars.*github-secrets/s);
    expect(await page.textContent('#chart-summary')).toMatch(
      /\d+ checks in the last 30 d; .* drifted keys and \d+ extra keys/,
    );
    // The legend toggles a target's line, by keyboard too, and says whether it is shown.
    const netlify = page.locator('#chart .u-legend .u-series', { hasText: 'netlify' });
    expect(await netlify.getAttribute('role')).toBe('button');
    expect(await netlify.getAttribute('aria-pressed')).toBe('true');
    await netlify.focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() =>
      [...document.querySelectorAll('#chart .u-legend .u-series')].some(
        (el) => el.textContent?.includes('netlify') && el.getAttribute('aria-pressed') === 'false',
      ),
    );
    expect(await netlify.getAttribute('class')).toContain('u-off');
    await page.keyboard.press(' ');
    await page.waitForFunction(() =>
      [...document.querySelectorAll('#chart .u-legend .u-series')].some(
        (el) => el.textContent?.includes('netlify') && el.getAttribute('aria-pressed') === 'true',
      ),
    );
    // Drifted keys are missing + conflicting; extras are their own measure, each target its own dash.
    // (A string, so the test runner leaves the browser's import() alone.)
    const split: unknown = await page.evaluate(`(async () => {
      const chart = await import('/chart.js');
      const check = {
        checked_at: '2026-11-24T10:00:00Z',
        targets: [{ id: 'a', missing: ['M'], conflicts: ['C1', 'C2'], extra: ['X'], unknown: [] }],
      };
      // The chart's points (GET /api/history/points) carry counts, not names.
      const point = {
        checked_at: '2026-11-24T11:00:00Z',
        targets: [{ id: 'a', missing: 2, conflicts: 0, extra: 5, unknown: 0 }],
      };
      return {
        drifted: chart.chartData([point, check], ['a'], chart.MEASURES.drifted.of)[1],
        extra: chart.chartData([point, check], ['a'], chart.MEASURES.extra.of)[1],
        dashes: new Set(chart.DASHES.map((d) => d.join(','))).size,
      };
    })()`);
    expect(split).toEqual({ drifted: [3, 2], extra: [1, 5], dashes: 4 });
    const pixels = () => page.$eval('#chart canvas', (c) => (c as HTMLCanvasElement).toDataURL());
    const drifted = await pixels();
    await page.check('input[name=measure][value="extra"]');
    await page.waitForURL(/measure=extra/);
    await page.waitForSelector('#chart canvas');
    expect(await pixels()).not.toBe(drifted);
    // The range control changes the URL and the chart.
    await page.check('input[name=range][value="24h"]');
    await page.waitForFunction(() =>
      /in the last 24 h/.test(document.querySelector('#chart-summary')?.textContent ?? ''),
    );
    expect(page.url()).toContain('range=24h');
    await page.close();
  }, 30_000);

  it('filters by target and status, in the URL, and deep links restore them', async () => {
    const page = await open();
    await page.waitForSelector('#history-table tbody tr');
    await page.selectOption('#filter-target', 'render');
    await page.waitForURL(/target=render/);
    await page.waitForFunction(() =>
      [...document.querySelectorAll('#history-table tbody tr td:nth-child(3)')].every((td) =>
        td.textContent?.endsWith('render'),
      ),
    );
    await page.selectOption('#filter-status', 'drift');
    await page.waitForURL(/status=drift/);
    await page.waitForFunction(() => {
      const cells = [...document.querySelectorAll('#history-table tbody tr td:nth-child(4)')];
      return cells.length > 0 && cells.every((td) => td.textContent?.includes('Drifted'));
    });
    let table = await rows(page);
    expect(table.length).toBeGreaterThan(0);
    for (const row of table) {
      expect(row[2]).toBe('manifest → render');
      expect(row[3]).toContain('Drifted');
    }
    const deep = await open('?target=netlify&status=parity');
    await deep.waitForSelector('#history-table tbody tr');
    expect(await deep.inputValue('#filter-target')).toBe('netlify');
    expect(await deep.inputValue('#filter-status')).toBe('parity');
    table = await rows(deep);
    expect(table.length).toBeGreaterThan(0);
    for (const row of table) {
      expect(row[2]).toBe('manifest → netlify');
      expect(row[3]).toContain('In parity');
    }
    await page.close();
    await deep.close();
  }, 30_000);

  it('sorts the page by a column', async () => {
    const page = await open('?target=render');
    await page.waitForSelector('#history-table tbody tr');
    // By keyboard: the header's button, Enter; the focus stays on it after the table is redrawn.
    await page.focus('#sort-duration');
    await page.keyboard.press('Enter');
    await page.waitForURL(/sort=duration/);
    await page.waitForSelector('#history-table th[aria-sort=descending]:nth-child(9)');
    const seconds = (await rows(page)).map((r) => {
      const text = r[8] ?? '';
      return text.endsWith(' ms') ? Number.parseFloat(text) / 1000 : Number.parseFloat(text);
    });
    expect(seconds.length).toBeGreaterThan(5);
    expect(seconds).toEqual([...seconds].sort((a, b) => b - a));
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('sort-duration');
    expect(await page.textContent('#sort-note')).toMatch(/Sorted by duration within this page only/);
    await page.close();
  }, 30_000);

  it('pages through the API cursors, older and back', async () => {
    const page = await open('?target=render');
    await page.waitForSelector('#history-table tbody tr');
    const first = await rows(page);
    expect(await page.textContent('#history-count')).toMatch(/Checks 1–25 of/);
    // While a page loads, the pager cannot be pressed again.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route(/\/api\/history\?limit=25/, async (route) => {
      await held;
      await route.continue();
    });
    await page.click('#page-older');
    await page.waitForURL(/page=2/);
    expect(await page.isDisabled('#page-older')).toBe(true);
    expect(await page.isDisabled('#page-newer')).toBe(true);
    release();
    await page.waitForFunction(() =>
      /Checks 26–50 of/.test(document.querySelector('#history-count')?.textContent ?? ''),
    );
    await page.unroute(/\/api\/history\?limit=25/);
    expect(await page.isDisabled('#page-newer')).toBe(false);
    // The keyboard stays on the pager.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('page-older');
    expect(page.url()).toMatch(/cursor=chk_/);
    expect(page.url()).toContain('page=2');
    const second = await rows(page);
    expect(second).toHaveLength(25);
    expect(second[0]?.[0]).not.toBe(first[0]?.[0]);
    // Page 2 ends where page 3 would start: no overlap with page 1.
    expect(second.map((r) => r[0])).not.toContain(first[24]?.[0]);
    await page.click('#page-newer');
    await page.waitForFunction(() =>
      /Checks 1–25 of/.test(document.querySelector('#history-count')?.textContent ?? ''),
    );
    expect((await rows(page))[0]).toEqual(first[0]);
    expect(await page.isDisabled('#page-newer')).toBe(true);
    await page.close();
  }, 30_000);

  it('opens a check: key names per category, the correlation id, fingerprints, links', async () => {
    const page = await open();
    await page.waitForSelector('#history-table tbody tr');
    await page.click('#history-table tbody tr:first-child td:first-child a');
    await page.waitForSelector('#check-title');
    const id = new URL(page.url()).searchParams.get('id') ?? '';
    const record = await fixture.deps.records.history.get(id);
    expect(record).toBeDefined();
    expect(await page.textContent('#correlation-id')).toBe(record?.correlation_id);
    const text = await page.textContent('main');
    for (const t of record?.targets ?? [])
      for (const key of [...t.missing, ...t.extra, ...t.conflicts]) expect(text).toContain(key);
    const links = await page.$$eval('main a', (as) => as.map((a) => a.getAttribute('href') ?? ''));
    expect(links).toContain(`?view=events&correlation_id=${record?.correlation_id}`);
    expect(links).toContain(`?view=audit&correlation_id=${record?.correlation_id}`);
    expect(links.some((l) => l.startsWith('?view=snapshots&target='))).toBe(true);
    // The first real check has a conflict on Netlify: both fingerprints, kept with the check.
    const conflicted = await open(`?view=check&id=${fixture.realChecks[0]}`);
    await conflicted.waitForSelector('#fp-title');
    await conflicted.waitForFunction(() =>
      /hmac2:[0-9a-f]{8}/.test(document.querySelector('main')?.textContent ?? ''),
    );
    const kept = await fixture.deps.records.history.get(fixture.realChecks[0] ?? '');
    const sides = Object.values(kept?.conflicts ?? {}).flatMap((fp) => Object.values(fp));
    expect(sides.length).toBeGreaterThanOrEqual(2);
    const fpText = (await conflicted.textContent('section[aria-labelledby=fp-title]')) ?? '';
    for (const fp of sides) expect(fpText).toContain(fp);
    await conflicted.click('a:text("Audit entries of this check")');
    await conflicted.waitForSelector('#audit-title');
    await conflicted.waitForSelector('.table-wrap tbody tr');
    expect(await conflicted.$$eval('.table-wrap tbody tr', (trs) => trs.length)).toBe(1);
    await conflicted.click('#verify-chain');
    await conflicted.waitForSelector('.state-ok');
    expect(await conflicted.textContent('.state-ok')).toMatch(/Chain intact: \d+ entries/);
    await page.close();
    await conflicted.close();
  }, 30_000);

  it('lists snapshots with names and fingerprints only', async () => {
    const page = await open('?view=snapshots');
    await page.waitForSelector('.table-wrap tbody tr');
    const texts = await page.$$eval('.table-wrap tbody tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
    expect(texts.length).toBeGreaterThanOrEqual(2);
    expect(texts.join('\n')).toContain('github-vars');
    // Opened, every listed key is a name and a fingerprint (or write-only), and no value is there:
    // neither the seed's values nor the canary.
    const html = await domText(page);
    const items = await page.$$eval('.table-wrap tbody tr details li', (lis) =>
      lis.map((li) => li.textContent ?? ''),
    );
    expect(items.length).toBeGreaterThan(3);
    for (const item of items) expect(item).toMatch(/^[A-Z][A-Z0-9_]* (hmac2:[0-9a-f]{8,}|write-only)$/);
    for (const value of [
      'https://api.example.com',
      'https://app.example.com,https://www.example.com',
      PAGE_CANARY,
    ])
      expect(html).not.toContain(value);
    await page.close();
  }, 30_000);

  it('says so when the token is refused (401) or the role may not see a view (403)', async () => {
    const bad = await open('', 'not-a-valid-token-000000000000');
    await bad.waitForSelector('#notice.notice-error');
    expect(await bad.textContent('#notice')).toMatch(/did not accept this token \(401 unauthorized\)/);
    expect(await bad.textContent('#status-body')).toMatch(/401/);
    const viewer = await open('?view=audit', PAGE_TOKENS.viewer);
    await viewer.waitForFunction(() =>
      /Your role cannot see/.test(document.querySelector('#view')?.textContent ?? ''),
    );
    expect(await viewer.textContent('#view')).toMatch(
      /Your role cannot see the audit trail \(403 forbidden\)/,
    );
    // A viewer is offered no view it may not open, and still sees the history.
    await viewer.waitForSelector('#whoami strong');
    const navs = await viewer.$$eval('nav.views a', (as) =>
      as.filter((a) => a.getClientRects().length > 0).map((a) => a.dataset['view']),
    );
    expect(navs).toEqual(['history', 'matrix']);
    await viewer.click('nav.views a[data-view=history]');
    await viewer.waitForSelector('#history-table tbody tr');
    const none = await open('', '');
    await none.waitForSelector('.state-empty');
    expect(await none.textContent('main')).toMatch(/Enter an API token/);
    expect(await none.textContent('#updated')).toBe('Waiting for a token');
    await bad.close();
    await viewer.close();
    await none.close();
  }, 30_000);

  it('keeps the token out of the URL: entered in the form, kept in sessionStorage', async () => {
    const page = await open('', '');
    await page.fill('#token-input', PAGE_TOKENS.architect);
    await page.press('#token-input', 'Enter');
    await page.waitForSelector('#history-table tbody tr');
    expect(page.url()).not.toContain(PAGE_TOKENS.architect);
    expect(await page.evaluate(() => sessionStorage.getItem('envsync.token'))).toBe(PAGE_TOKENS.architect);
    expect(await page.inputValue('#token-input')).toBe('');
    expect(await domText(page)).not.toContain(PAGE_TOKENS.architect);
    await page.close();
  }, 30_000);

  it('never shows the canary secret: not in any DOM, not in any response', async () => {
    // The canary is really on Render, so the scan below can fail.
    expect(fixture.session.sandbox.render.inspect.envVars(DEMO.renderServiceId)['API_TOKEN']).toBe(
      PAGE_CANARY,
    );
    const views = [
      '',
      '?view=snapshots',
      '?view=audit',
      '?view=events',
      `?view=check&id=${fixture.realChecks[0]}`,
      '?view=matrix',
      // The canary is API_TOKEN's value on Render: its timeline is where it could leak.
      '?view=key&key=API_TOKEN',
      '?view=key&key=API_TOKEN&target=render',
    ];
    for (const view of views) {
      const page = await open(view);
      await page.waitForLoadState('networkidle');
      expect(await domText(page), view).not.toContain(PAGE_CANARY);
      await page.close();
    }
    expect(harness.bodies.length).toBeGreaterThan(50);
    expect(harness.bodies.join('\n')).toContain('API_TOKEN'); // the key's name is there; its value is not
    expect(harness.bodies.join('\n')).not.toContain(PAGE_CANARY);
    expect(harness.pageErrors).toEqual([]);
  }, 60_000);

  it('stays small and modular: page JS and CSS at most 120 KB besides uPlot, no module past 400 lines', async () => {
    const dir = path.join(REPO_ROOT, 'public');
    const files = (await readdir(dir, { recursive: true }))
      .filter((f) => /\.(js|css)$/.test(f) && !f.startsWith('vendor'))
      .sort();
    expect(files).toEqual(
      expect.arrayContaining([
        'app.js',
        'api.js',
        'dom.js',
        'styles.css',
        'status.js',
        'history.js',
        'matrix.js',
        'check.js',
        'timeline.js',
        'snapshots.js',
        'audit.js',
        'events.js',
        'actions.js',
      ]),
    );
    let total = 0;
    for (const f of files) {
      total += (await stat(path.join(dir, f))).size;
      const lines = (await readFile(path.join(dir, f), 'utf8')).split('\n').length;
      if (f.endsWith('.js')) expect(lines, f).toBeLessThanOrEqual(400);
    }
    console.error(`[page] JS + CSS besides uPlot: ${files.length} files, ${total} bytes`);
    expect(total).toBeLessThanOrEqual(120 * 1024);
    // No build step: the modules are what the browser loads, and nothing comes from a CDN.
    const html = await readFile(path.join(dir, 'index.html'), 'utf8');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).toContain('vendor/uPlot.iife.min.js');
    expect(html).toContain('<script type="module" src="app.js">');
    // Every module is preloaded at once: a module left out waits for the one that imports it.
    const preloaded = [...html.matchAll(/<link rel="modulepreload" href="([^"]+)"/g)].map((m) => m[1]);
    expect(preloaded.sort()).toEqual(files.filter((f) => f.endsWith('.js') && f !== 'app.js'));
    const app = await readFile(path.join(dir, 'app.js'), 'utf8');
    for (const view of [
      'status',
      'history',
      'matrix',
      'check',
      'timeline',
      'snapshots',
      'audit',
      'events',
      'actions',
    ])
      expect(app).toContain(`from './${view}.js'`);
  });
});

describe('times on the page', () => {
  it('show seconds, their zone and how long ago; a setting switches to UTC and is kept', async () => {
    // A reader in New York: local times name their zone, and UTC differs from it.
    const browser = await launchChromium({ timezoneId: 'America/New_York' });
    try {
      const page = await browser.context.newPage();
      await page.addInitScript((t) => sessionStorage.setItem('envsync.token', t), PAGE_TOKENS.admiral);
      await page.goto(`${harness.fixture.url}/?range=30d`);
      await page.waitForSelector('#history-table tbody tr');
      await page.waitForSelector('#chart canvas');
      const first = (await rows(page))[0]?.[0] ?? '';
      expect(first).toMatch(/\d{1,2}:\d{2}:\d{2}/); // seconds
      expect(first).toMatch(/ago|just now/);
      expect(first).toMatch(/E[SD]T/);
      // Tiles and the chart's time axis say their zone too.
      expect(await page.textContent('.tile')).toMatch(/(ago|just now) \(\d{1,2}:\d{2}:\d{2}.*E[SD]T\)/);
      expect(await page.textContent('#chart .u-legend')).toContain('time (America/New_York)');
      await page.check('#utc-times');
      await page.waitForFunction(() =>
        /UTC/.test(document.querySelector('#history-table tbody tr td')?.textContent ?? ''),
      );
      await page.waitForFunction(() =>
        (document.querySelector('#chart .u-legend')?.textContent ?? '').includes('time (UTC)'),
      );
      expect(await page.textContent('.tile')).toMatch(/UTC\)/);
      await page.reload();
      await page.waitForSelector('#history-table tbody tr');
      expect(await page.isChecked('#utc-times')).toBe(true);
      expect((await rows(page))[0]?.[0]).toMatch(/UTC/);
      await page.close();
    } finally {
      await browser.close();
    }
  }, 30_000);
});
