/**
 * The parity matrix and a key's timeline in real Chromium: every key × target state, filters in
 * the URL, reasons in text / on hover and focus / for screen readers, names from the API shown as
 * text, both fingerprints of a conflict, who changed a key; and the phone layout (390 px).
 */
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_CANARY, PAGE_TOKENS } from './support/fixture.ts';
import { domText, sideways, startHarness } from './support/harness.ts';
import type { Harness } from './support/harness.ts';

let harness: Harness;
/** A check recorded three hours ago with skipped and invalid keys and awkward names. */
let crafted = '';
const SCRIPT = '<script>window.pwned=1</script>';
const PHONE = { width: 390, height: 844 };

beforeAll(async () => {
  harness = await startHarness({ checks: 30 });
  const { deps } = harness.fixture;
  const project = await deps.project();
  const targets = [...project.targets.values()];
  const record = await deps.records.history.record({
    report: {
      verified_at: new Date(Date.now() - 3 * 3600_000).toISOString(),
      has_drift: true,
      source: project.sourceId,
      conflicts: { FEATURE_FLAG: { [project.sourceId]: 'hmac2:aaaaaaaaaaaa', render: 'write-only' } },
      summary: {
        total_keys: 4,
        synced: 1,
        in_parity: 1,
        drifted: 2,
        unknown: 0,
        extra: 1,
        targets: targets.length,
      },
      targets: targets.map((t, i) => ({
        id: t.id,
        provider: t.provider,
        label: t.id,
        has_drift: i === 0,
        missing: [],
        extra: i === 0 ? [SCRIPT] : [],
        conflicts: i === 0 ? ['FEATURE_FLAG'] : [],
        unknown: [],
        in_parity: ['__proto__', 'constructor'],
        skipped:
          i === 1 ? [{ key: 'NETLIFY_SITE_NAME', reason: 'excluded by the policy (NETLIFY_ prefix)' }] : [],
        invalid:
          i === 2 ? [{ key: 'GITHUB_TOKEN', reason: 'GitHub refuses names starting with GITHUB_' }] : [],
        counts: { create: 0, update: 0, delete: 0, noop: 0, unknown: 0, skip: 0 },
      })),
    },
    trigger: 'manual',
    correlationId: randomUUID(),
    durationMs: 42,
    at: new Date(Date.now() - 3 * 3600_000),
  });
  crafted = record.id;
}, 90_000);

afterAll(async () => {
  await harness?.close();
});

/** The matrix as { key: { target: cell text } } (a Map: keys may be `__proto__`). */
async function matrix(page: Page): Promise<Map<string, Record<string, string>>> {
  const rows = await page.$$eval('#matrix tbody tr', (trs) => {
    const heads = [...document.querySelectorAll('#matrix thead th')].map(
      (th) => th.querySelector('code')?.textContent ?? '',
    );
    return trs.map((tr): [string, [string, string][]] => [
      tr.querySelector('th')?.textContent ?? '',
      [...tr.querySelectorAll('td')].map((td, i): [string, string] => [
        heads[i + 1] ?? '',
        td.textContent ?? '',
      ]),
    ]);
  });
  return new Map(rows.map(([key, cells]) => [key, Object.fromEntries(cells)]));
}

describe('the parity matrix', () => {
  it('shows every key on every target from the newest checks, with both fingerprints of a conflict', async () => {
    const page = await harness.open('?view=matrix');
    await page.waitForSelector('#matrix tbody tr');
    const m = await matrix(page);
    const newest = await harness.fixture.deps.records.history.get(harness.fixture.realChecks.at(-1) ?? '');
    expect(newest).toBeDefined();
    // Every key of the newest check is a row, in the state the record gives it on each target.
    for (const t of newest?.targets ?? []) {
      for (const key of t.in_parity ?? [])
        expect(m.get(key)?.[t.id], `${key} on ${t.id}`).toMatch(/^✓ In parity/);
      for (const key of t.extra) expect(m.get(key)?.[t.id], `${key} on ${t.id}`).toMatch(/^\+ Extra/);
      for (const key of t.conflicts) expect(m.get(key)?.[t.id], `${key} on ${t.id}`).toMatch(/^≠ Conflict/);
      for (const key of t.missing) expect(m.get(key)?.[t.id], `${key} on ${t.id}`).toMatch(/^✕ Missing/);
    }
    const conflict = Object.entries(newest?.conflicts ?? {})[0];
    expect(conflict).toBeDefined();
    const [key, sides] = conflict ?? ['', {}];
    const cell = m.get(key)?.['netlify'] ?? '';
    for (const fp of Object.values(sides)) expect(cell).toContain(fp);
    expect(await page.textContent('#matrix-count')).toMatch(/Showing (\d+) of \1 keys/);
    await page.close();
  }, 30_000);

  it('filters by state and key prefix, keeps the filters in the URL, and a link restores them', async () => {
    const page = await harness.open('?view=matrix');
    await page.waitForSelector('#matrix tbody tr');
    await page.selectOption('#matrix-state', 'conflict');
    await page.waitForURL(/state=conflict/);
    let keys = [...(await matrix(page)).keys()];
    expect(keys).toEqual(['REACT_APP_API_URL']);
    await page.selectOption('#matrix-state', '');
    await page.focus('#matrix-prefix');
    await page.keyboard.type('de');
    await page.waitForURL(/prefix=de/);
    keys = [...(await matrix(page)).keys()];
    expect(keys).toEqual(['DEBUG', 'DEPLOY_HOOK_TOKEN']);
    // Typing is not interrupted by a redraw of the form.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('matrix-prefix');
    await page.keyboard.type('zzz');
    await page.waitForSelector('#matrix-body .state-empty');
    expect(await page.textContent('#matrix-body')).toMatch(/No keys match these filters/);
    const deep = await harness.open('?view=matrix&state=extra&prefix=API');
    await deep.waitForSelector('#matrix tbody tr');
    expect(await deep.inputValue('#matrix-state')).toBe('extra');
    expect(await deep.inputValue('#matrix-prefix')).toBe('API');
    expect([...(await matrix(deep)).keys()]).toEqual(['API_TOKEN']);
    await page.close();
    await deep.close();
  }, 30_000);

  it('gives a skipped or invalid key its reason in text, on hover and focus, and to screen readers', async () => {
    const page = await harness.open(`?view=matrix&id=${crafted}`);
    await page.waitForSelector('#matrix tbody tr');
    const m = await matrix(page);
    expect(m.get('NETLIFY_SITE_NAME')?.['netlify']).toMatch(
      /Skipped.*excluded by the policy \(NETLIFY_ prefix\)/,
    );
    expect(m.get('GITHUB_TOKEN')?.['github-vars']).toMatch(
      /Invalid.*GitHub refuses names starting with GITHUB_/,
    );
    // In text, below the matrix.
    expect(await page.textContent('.reasons')).toContain(
      'NETLIFY_SITE_NAME on netlify — skipped: excluded by the policy',
    );
    // Hidden from sight until hovered or focused, but in the accessibility tree all along.
    const tip = page.locator('#matrix .chip-skipped .tip');
    const size = () => tip.evaluate((el) => el.getBoundingClientRect().width);
    expect(await size()).toBeLessThanOrEqual(1);
    const chip = page.locator('#matrix .chip-skipped');
    expect(await chip.getAttribute('title')).toContain('excluded by the policy');
    const snapshot = await page.locator('#matrix').ariaSnapshot();
    expect(snapshot).toContain('excluded by the policy (NETLIFY_ prefix)');
    await chip.hover();
    await page.waitForFunction(
      () => (document.querySelector('#matrix .chip-skipped .tip')?.getBoundingClientRect().width ?? 0) > 50,
    );
    await page.mouse.move(0, 0);
    await page.waitForFunction(
      () => (document.querySelector('#matrix .chip-skipped .tip')?.getBoundingClientRect().width ?? 99) <= 1,
    );
    await chip.focus();
    expect(await size()).toBeGreaterThan(50);
    // A conflict whose target side is write-only says so.
    expect(m.get('FEATURE_FLAG')?.['render']).toContain('render write-only');
    await page.close();
  }, 30_000);

  it('shows names from the API as text: no markup runs, no inherited property is mistaken for data', async () => {
    const page = await harness.open(`?view=matrix&id=${crafted}`);
    await page.waitForSelector('#matrix tbody tr');
    const m = await matrix(page);
    expect([...m.keys()]).toEqual(expect.arrayContaining([SCRIPT, '__proto__', 'constructor']));
    expect(m.get('__proto__')?.['render']).toMatch(/In parity/);
    expect(m.get('constructor')?.['github-secrets']).toMatch(/In parity/);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(await page.$$eval('#matrix script', (s) => s.length)).toBe(0);
    // The timeline of `__proto__` is that key's, not an object's prototype.
    await page.click('#matrix a[aria-label="Timeline of __proto__"]');
    await page.waitForSelector('#timeline tbody tr');
    expect(await page.textContent('#key-title')).toBe('Timeline of __proto__');
    expect(await page.$$eval('#timeline tbody tr', (trs) => trs.length)).toBe(1);
    await page.close();
  }, 30_000);
});

describe('a key’s timeline', () => {
  it('opens from the matrix by keyboard: each check’s state per target, fingerprints, who changed it', async () => {
    const page = await harness.open('?view=matrix');
    await page.waitForSelector('#matrix tbody tr');
    await page.focus('#matrix a[aria-label="Timeline of REACT_APP_API_URL"]');
    await page.keyboard.press('Enter');
    await page.waitForURL(/view=key&key=REACT_APP_API_URL/);
    await page.waitForSelector('#timeline tbody tr');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('key-title');
    const rows = await page.$$eval('#timeline tbody tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
    // The three real checks and the sync's check name it; the synthetic ones (other keys) do not.
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(await page.textContent('#view')).toMatch(/checks that did not include it are left out/);
    const conflicted = rows.find((r) => r.includes('Conflict')) ?? '';
    expect(conflicted).toMatch(/manifest hmac2:[0-9a-f]+ ≠ netlify hmac2:[0-9a-f]+/);
    // An admiral may read the audit trail: who changed keys is listed (the fixture's sync wrote others).
    expect(await page.textContent('#changes-title')).toBe('Who changed it');
    const synced = await harness.open('?view=key&key=ALLOWED_ORIGINS');
    await synced.waitForSelector('#key-changes tbody tr');
    expect(await synced.textContent('#key-changes')).toMatch(/admiral:admiral-page/);
    // A viewer sees the states but not who changed them.
    const viewer = await harness.open('?view=key&key=ALLOWED_ORIGINS', PAGE_TOKENS.viewer);
    await viewer.waitForSelector('#timeline tbody tr');
    expect(await viewer.$('#changes-title')).toBeNull();
    expect(await viewer.textContent('#view')).not.toMatch(/admiral-page/);
    await page.close();
    await synced.close();
    await viewer.close();
  }, 30_000);

  it('narrows to one target', async () => {
    const page = await harness.open('?view=key&key=REACT_APP_API_URL');
    await page.waitForSelector('#timeline tbody tr');
    await page.selectOption('#key-target', 'netlify');
    await page.waitForURL(/target=netlify/);
    await page.waitForFunction(() => document.querySelectorAll('#timeline thead th').length === 3);
    const heads = await page.$$eval('#timeline thead th', (ths) => ths.map((th) => th.textContent));
    expect(heads).toEqual(['Check', 'Trigger', 'netlify']);
    await page.close();
  }, 30_000);
});

describe('on a phone (390 px)', () => {
  it('scrolls neither the history nor the matrix sideways; the check’s detail starts on the first screen', async () => {
    for (const view of [
      '',
      '?view=matrix',
      `?view=matrix&id=${crafted}`,
      '?view=key&key=REACT_APP_API_URL',
      '?view=snapshots',
      '?view=events',
    ]) {
      const page = await harness.open(view, PAGE_TOKENS.admiral, PHONE);
      await page.waitForLoadState('networkidle');
      await page.waitForSelector('tbody tr');
      expect(await sideways(page), view || 'history').toBe(0);
      await page.close();
    }
    const check = await harness.open(
      `?view=check&id=${harness.fixture.realChecks[0]}`,
      PAGE_TOKENS.admiral,
      PHONE,
    );
    await check.waitForSelector('.facts');
    const top = await check.$eval('#check-title', (el) => el.getBoundingClientRect().top);
    const facts = await check.$eval('.facts', (el) => el.getBoundingClientRect().top);
    // The title and the first facts (status, keys) on the first screen.
    expect(top).toBeLessThan(PHONE.height / 2);
    expect(facts + 100).toBeLessThan(PHONE.height);
    expect(await sideways(check)).toBe(0);
    await check.close();
  }, 60_000);

  it('keeps audit rows compact, each entry’s keys and fingerprints one click away', async () => {
    const page = await harness.open('?view=audit', PAGE_TOKENS.admiral, PHONE);
    await page.waitForSelector('.table-wrap tbody tr');
    const heights = await page.$$eval('.table-wrap tbody tr', (trs) =>
      trs.map((tr) => tr.getBoundingClientRect().height),
    );
    expect(heights.length).toBeGreaterThan(2);
    for (const height of heights) expect(height).toBeLessThan(110);
    expect(await sideways(page)).toBe(0);
    // The sync's entry names its keys; opened, each shows its fingerprint (never a value).
    const sync = page
      .locator('.table-wrap tbody tr', { hasText: /sync/ })
      .filter({ has: page.locator('details.keys') });
    const keys = sync.first().locator('details.keys');
    expect(await keys.locator('summary').textContent()).toMatch(/^\d+ keys?$/);
    await keys.locator('summary').click();
    expect(await keys.locator('li').first().textContent()).toMatch(/[A-Z_]+ hmac2:[0-9a-f]{8}/);
    expect(await domText(page)).not.toContain(PAGE_CANARY);
    await page.close();
  }, 30_000);

  it('never showed the canary and raised no page error', () => {
    expect(harness.bodies.join('\n')).not.toContain(PAGE_CANARY);
    expect(harness.pageErrors).toEqual([]);
  });
});
