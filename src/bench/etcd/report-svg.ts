// The chart: throughput (top) and latency percentiles (bottom) per workload,
// one colour per system, both on log scales because the workloads differ by
// orders of magnitude (a sequential put against thousands of watch events).
// Each system's marks are one <g class="series"> with data attributes, so the
// chart can be checked by a program as well as read by a person.

import { formatMs, formatOpsPerS } from './report-markdown.js';
import { summarize, type BenchReport, type WorkloadSummary } from './report.js';

const COLOURS = ['#4e79a7', '#f28e2b'];
const WIDTH = 960;
const LABEL_WIDTH = 170;
const PLOT_WIDTH = WIDTH - LABEL_WIDTH - 90;
const BAR_HEIGHT = 12;
const ROW_GAP = 10;

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** A log scale over whole decades that holds every value. */
export function logScale(values: readonly number[], width: number): { low: number; high: number; x: (value: number) => number } {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  const low = positive.length === 0 ? 1 : 10 ** Math.floor(Math.log10(Math.min(...positive)));
  let high = positive.length === 0 ? 10 : 10 ** Math.ceil(Math.log10(Math.max(...positive)));
  if (high <= low) high = low * 10;
  const span = Math.log10(high) - Math.log10(low);
  return { low, high, x: (value) => (Math.log10(Math.max(value, low)) - Math.log10(low)) / span * width };
}

function n(value: number): string {
  return Number(value.toFixed(1)).toString();
}

function decades(low: number, high: number): number[] {
  const out: number[] = [];
  for (let v = low; v <= high * 1.0001; v *= 10) out.push(v);
  return out;
}

interface Panel {
  readonly svg: string[];
  readonly height: number;
}

function axis(top: number, rowsHeight: number, low: number, high: number, x: (v: number) => number, label: (v: number) => string): string[] {
  return decades(low, high).map((v) => {
    const px = n(LABEL_WIDTH + x(v));
    return `<line class="grid" x1="${px}" y1="${top}" x2="${px}" y2="${top + rowsHeight}"/><text class="tick" x="${px}" y="${top + rowsHeight + 14}" text-anchor="middle">${escapeXml(label(v))}</text>`;
  });
}

function throughputPanel(summaries: readonly WorkloadSummary[], systems: readonly string[], top: number): Panel {
  const values = summaries.flatMap((s) => s.figures.flatMap((f) => (f.figures ? [f.figures.opsPerS, ...f.figures.opsPerSByRound] : [])));
  const scale = logScale(values, PLOT_WIDTH);
  const rowHeight = systems.length * (BAR_HEIGHT + 2) + ROW_GAP;
  const rowsTop = top + 28;
  const svg = [`<text class="title" x="${LABEL_WIDTH}" y="${top + 16}">Throughput, operations per second (watch: events delivered per second), log scale; ticks mark each round</text>`];
  svg.push(...axis(rowsTop, summaries.length * rowHeight, scale.low, scale.high, scale.x, (v) => formatOpsPerS(v)));
  summaries.forEach((s, row) => svg.push(`<text class="label" x="${LABEL_WIDTH - 8}" y="${n(rowsTop + row * rowHeight + rowHeight / 2)}" text-anchor="end">${escapeXml(s.workload.name)}</text>`));
  systems.forEach((system, index) => {
    svg.push(`<g class="series" data-metric="throughput" data-system="${escapeXml(system)}" fill="${COLOURS[index]}">`);
    summaries.forEach((s, row) => {
      const f = s.figures.find((entry) => entry.system === system)?.figures;
      if (f === undefined) return;
      const y = rowsTop + row * rowHeight + index * (BAR_HEIGHT + 2);
      const w = scale.x(f.opsPerS);
      svg.push(`<rect data-workload="${escapeXml(s.workload.name)}" data-value="${f.opsPerS.toFixed(1)}" x="${LABEL_WIDTH}" y="${n(y)}" width="${n(w)}" height="${BAR_HEIGHT}"/>`);
      for (const round of f.opsPerSByRound) {
        const px = n(LABEL_WIDTH + scale.x(round));
        svg.push(`<line class="round" x1="${px}" y1="${n(y - 1)}" x2="${px}" y2="${n(y + BAR_HEIGHT + 1)}"/>`);
      }
      // Past the bar and past every round's tick, so no tick strikes through the figure.
      const labelX = Math.max(w, ...f.opsPerSByRound.map((round) => scale.x(round))) + 4;
      svg.push(`<text class="value" x="${n(LABEL_WIDTH + labelX)}" y="${n(y + BAR_HEIGHT - 2)}">${escapeXml(formatOpsPerS(f.opsPerS))}</text>`);
    });
    svg.push('</g>');
  });
  return { svg, height: 28 + summaries.length * rowHeight + 24 };
}

const PERCENTILES = [['p50', 'p50'], ['p99', 'p99'], ['p999', 'p99.9']] as const;

function marker(percentile: string, cx: string, cy: string): string {
  if (percentile === 'p50') return `<circle cx="${cx}" cy="${cy}" r="4"/>`;
  if (percentile === 'p99') return `<rect x="${n(Number(cx) - 4)}" y="${n(Number(cy) - 4)}" width="8" height="8"/>`;
  return `<path d="M${cx} ${n(Number(cy) - 5)} L${n(Number(cx) + 5)} ${n(Number(cy) + 4)} L${n(Number(cx) - 5)} ${n(Number(cy) + 4)} Z"/>`;
}

function latencyPanel(summaries: readonly WorkloadSummary[], systems: readonly string[], top: number): Panel {
  const values = summaries.flatMap((s) => s.figures.flatMap((f) => (f.figures?.latencyMs ? [f.figures.latencyMs.p50, f.figures.latencyMs.p999] : [])));
  const scale = logScale(values, PLOT_WIDTH);
  const rowHeight = systems.length * (BAR_HEIGHT + 2) + ROW_GAP;
  const rowsTop = top + 28;
  const svg = [`<text class="title" x="${LABEL_WIDTH}" y="${top + 16}">Latency, ms, log scale: ● p50  ■ p99  ▲ p99.9</text>`];
  svg.push(...axis(rowsTop, summaries.length * rowHeight, scale.low, scale.high, scale.x, (v) => (v >= 1 ? v.toLocaleString('en-US') : String(Number(v.toPrecision(1))))));
  summaries.forEach((s, row) => svg.push(`<text class="label" x="${LABEL_WIDTH - 8}" y="${n(rowsTop + row * rowHeight + rowHeight / 2)}" text-anchor="end">${escapeXml(s.workload.name)}</text>`));
  systems.forEach((system, index) => {
    svg.push(`<g class="series" data-metric="latency" data-system="${escapeXml(system)}" fill="${COLOURS[index]}" stroke="${COLOURS[index]}">`);
    summaries.forEach((s, row) => {
      const latency = s.figures.find((entry) => entry.system === system)?.figures?.latencyMs;
      if (latency === undefined) return;
      const cy = n(rowsTop + row * rowHeight + index * (BAR_HEIGHT + 2) + BAR_HEIGHT / 2);
      svg.push(`<g data-workload="${escapeXml(s.workload.name)}">`);
      svg.push(`<line x1="${n(LABEL_WIDTH + scale.x(latency.p50))}" y1="${cy}" x2="${n(LABEL_WIDTH + scale.x(latency.p999))}" y2="${cy}" stroke-width="2"/>`);
      for (const [key, label] of PERCENTILES) {
        svg.push(`<g data-percentile="${label}" data-value="${latency[key].toFixed(3)}">${marker(key, n(LABEL_WIDTH + scale.x(latency[key])), cy)}</g>`);
      }
      svg.push(`<text class="value" x="${n(LABEL_WIDTH + scale.x(latency.p999) + 8)}" y="${n(Number(cy) + 4)}" stroke="none">${escapeXml(formatMs(latency.p99))} ms p99</text>`);
      svg.push('</g>');
    });
    svg.push('</g>');
  });
  return { svg, height: 28 + summaries.length * rowHeight + 24 };
}

export function renderSvg(report: BenchReport): string {
  const summaries = summarize(report);
  const systems = report.systems.filter((s) => s.unavailable === undefined).map((s) => s.name);
  const legend = systems.map((system, i) => `<rect x="${LABEL_WIDTH + i * 160}" y="34" width="12" height="12" fill="${COLOURS[i]}"/><text class="label" x="${LABEL_WIDTH + i * 160 + 18}" y="45">${escapeXml(system)}</text>`);
  const throughput = throughputPanel(summaries, systems, 56);
  const latency = latencyPanel(summaries, systems, 56 + throughput.height + 10);
  const height = 56 + throughput.height + 10 + latency.height + 10;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${n(height)}" viewBox="0 0 ${WIDTH} ${n(height)}" font-family="sans-serif" font-size="12">`,
    '<style>.title{font-weight:bold}.tick{fill:#555;font-size:10px}.grid{stroke:#ddd}.round{stroke:#000;stroke-width:1.5}.value{fill:#333;font-size:10px}.label{fill:#222}</style>',
    `<rect width="${WIDTH}" height="${n(height)}" fill="#fff"/>`,
    `<text class="title" x="${LABEL_WIDTH}" y="22" font-size="15">trellis bench etcd: ${escapeXml(systems.join(' vs '))} (${report.rounds} round(s), ${report.durationS} s each)</text>`,
    ...legend,
    ...throughput.svg,
    ...latency.svg,
    '</svg>',
    '',
  ].join('\n');
}
