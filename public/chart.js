// Parity over time with uPlot: per target, either its drifted keys (missing + conflicting) or its
// extra keys (on the target, not in the source). Each target has its colour and its dash pattern,
// and the legend's entries are buttons that show or hide its line.

const LIGHT = ['#0969da', '#bc4c00', '#8250df', '#1a7f37', '#cf222e', '#4d2d00', '#0550ae', '#6e7781'];
const DARK = ['#58a6ff', '#ffa657', '#d2a8ff', '#56d364', '#ff7b72', '#e3b341', '#79c0ff', '#b1bac4'];
/** Solid, dashed, dotted, dash-dot: lines stay apart without colour. */
export const DASHES = [[], [8, 4], [2, 3], [10, 3, 2, 3]];

/** A check's target lists its keys; a chart point (GET /api/history/points) only counts them. */
const count = (x) => (typeof x === 'number' ? x : (x?.length ?? 0));
export const driftedKeys = (t) => count(t.missing) + count(t.conflicts);
export const extraKeys = (t) => count(t.extra);
export const MEASURES = {
  drifted: { of: driftedKeys, label: 'drifted keys' },
  extra: { of: extraKeys, label: 'extra keys' },
};

/** Columns for uPlot from checks (newest first, as the API lists them): [times, ...per target]. */
export function chartData(checks, targetIds, measure = driftedKeys) {
  const ordered = [...checks].reverse();
  const xs = ordered.map((c) => Date.parse(c.checked_at) / 1000);
  const series = targetIds.map((id) =>
    ordered.map((c) => {
      const t = c.targets.find((x) => x.id === id);
      return t ? measure(t) : null;
    }),
  );
  return [xs, ...series];
}

/** uPlot's legend rows become toggle buttons a keyboard can reach, with their state announced. */
function keyboardLegend(plot, el) {
  const rows = [...el.querySelectorAll('.u-legend .u-series')].slice(1);
  rows.forEach((row, n) => {
    const i = n + 1;
    row.setAttribute('role', 'button');
    row.setAttribute('tabindex', '0');
    row.setAttribute('aria-pressed', String(plot.series[i]?.show !== false));
    row.setAttribute('aria-label', `${plot.series[i]?.label ?? ''}: show or hide its line`);
    row.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter' && e.key !== ' ') return;
      e.preventDefault();
      row.querySelector('.u-label')?.click();
    });
  });
  return (i) => rows[i - 1]?.setAttribute('aria-pressed', String(plot.series[i]?.show !== false));
}

/** `UTC`, or the reader's zone as the browser names it (`Europe/Paris`). */
export const zoneName = (utc) => (utc ? 'UTC' : Intl.DateTimeFormat().resolvedOptions().timeZone || 'local');

/**
 * Draws the chart into `el`; returns an object with destroy(). Colours come from the page's theme
 * so that axes stay readable in light and dark.
 */
export function drawChart(el, checks, targets, measureName = 'drifted', utc = false) {
  const uPlot = globalThis.uPlot;
  if (!uPlot) throw new Error('The chart library (vendor/uPlot.iife.min.js) did not load.');
  const measure = MEASURES[measureName] ?? MEASURES.drifted;
  const css = getComputedStyle(document.documentElement);
  const fg = css.getPropertyValue('--fg-muted').trim() || '#57606a';
  const grid = css.getPropertyValue('--grid').trim() || '#d0d7de';
  const palette = matchMedia('(prefers-color-scheme: dark)').matches ? DARK : LIGHT;
  const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  const width = () => Math.max(260, el.clientWidth);
  const height = () => (el.clientWidth < 600 ? 200 : 260);
  const stepped = uPlot.paths?.stepped?.({ align: 1 });
  let pressed = () => undefined;
  const plot = new uPlot(
    {
      width: width(),
      height: height(),
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(2, max + 1)] } },
      // The time axis in the zone the page shows times in, and that zone in its label.
      ...(utc ? { tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC') } : {}),
      axes: [
        { ...axis, label: `time (${zoneName(utc)})`, labelSize: 20 },
        { ...axis, label: measure.label, incrs: [1, 2, 5, 10, 20, 50, 100], size: 48 },
      ],
      series: [
        { label: `time (${zoneName(utc)})` },
        ...targets.map((t, i) => ({
          label: t.id,
          stroke: palette[i % palette.length],
          width: 2,
          dash: DASHES[i % DASHES.length],
          ...(stepped ? { paths: stepped } : {}),
          points: { show: checks.length <= 60, size: 6 },
          value: (_u, v) => (v === null || v === undefined ? '—' : String(v)),
        })),
      ],
      cursor: { drag: { x: true, y: false } },
      hooks: { setSeries: [(_u, i) => pressed(i)] },
    },
    chartData(
      checks,
      targets.map((t) => t.id),
      measure.of,
    ),
    el,
  );
  pressed = keyboardLegend(plot, el);
  const resize = new ResizeObserver(() => plot.setSize({ width: width(), height: height() }));
  resize.observe(el);
  return {
    plot,
    destroy() {
      resize.disconnect();
      plot.destroy();
    },
  };
}
