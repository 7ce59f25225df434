// Parity over time: drifted keys (missing + extra + conflicts) per target per check, with uPlot.

const LIGHT = ['#0969da', '#bc4c00', '#8250df', '#1a7f37', '#cf222e', '#4d2d00', '#0550ae', '#6e7781'];
const DARK = ['#58a6ff', '#ffa657', '#d2a8ff', '#56d364', '#ff7b72', '#e3b341', '#79c0ff', '#b1bac4'];

export const driftedKeys = (t) => t.missing.length + t.extra.length + t.conflicts.length;

/** Columns for uPlot from checks (newest first, as the API lists them): [times, ...per target]. */
export function chartData(checks, targetIds) {
  const ordered = [...checks].reverse();
  const xs = ordered.map((c) => Date.parse(c.checked_at) / 1000);
  const series = targetIds.map((id) =>
    ordered.map((c) => {
      const t = c.targets.find((x) => x.id === id);
      return t ? driftedKeys(t) : null;
    }),
  );
  return [xs, ...series];
}

/**
 * Draws (or redraws) the chart into `el`; returns an object with destroy(). Colours come from the
 * page's theme so that axes stay readable in light and dark.
 */
export function drawChart(el, checks, targets) {
  const uPlot = globalThis.uPlot;
  if (!uPlot) throw new Error('The chart library (vendor/uPlot.iife.min.js) did not load.');
  const css = getComputedStyle(document.documentElement);
  const fg = css.getPropertyValue('--fg-muted').trim() || '#57606a';
  const grid = css.getPropertyValue('--grid').trim() || '#d0d7de';
  const palette = matchMedia('(prefers-color-scheme: dark)').matches ? DARK : LIGHT;
  const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  const width = () => Math.max(280, el.clientWidth);
  const height = () => (el.clientWidth < 600 ? 200 : 260);
  const stepped = uPlot.paths?.stepped?.({ align: 1 });
  const plot = new uPlot(
    {
      width: width(),
      height: height(),
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(2, max + 1)] } },
      axes: [axis, { ...axis, label: 'drifted keys', incrs: [1, 2, 5, 10, 20, 50, 100], size: 48 }],
      series: [
        { label: 'time' },
        ...targets.map((t, i) => ({
          label: t.id,
          stroke: palette[i % palette.length],
          width: 2,
          ...(stepped ? { paths: stepped } : {}),
          points: { show: checks.length <= 60 },
          value: (_u, v) => (v === null || v === undefined ? '—' : String(v)),
        })),
      ],
      cursor: { drag: { x: true, y: false } },
    },
    chartData(
      checks,
      targets.map((t) => t.id),
    ),
    el,
  );
  const resize = new ResizeObserver(() => plot.setSize({ width: width(), height: height() }));
  resize.observe(el);
  return {
    destroy() {
      resize.disconnect();
      plot.destroy();
    },
  };
}
