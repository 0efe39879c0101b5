import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderSvg } from '../../src/bench/etcd/report-svg.js';
import { sampleReport } from './etcd-fixtures.js';

/** Checks that every tag closes in order and attributes are quoted: enough XML to know a viewer will parse it. */
function assertWellFormed(xml: string): void {
  const open: string[] = [];
  const tag = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<[^>]*>/g;
  let match: RegExpExecArray | null;
  while ((match = tag.exec(xml)) !== null) {
    const [whole, closing, name, , selfClosing] = match;
    assert.ok(name !== undefined, `malformed tag ${whole}`);
    if (closing === '/') assert.equal(open.pop(), name, `</${name}> closes the wrong element`);
    else if (selfClosing !== '/') open.push(name);
  }
  assert.deepEqual(open, [], 'every element is closed');
  assert.doesNotMatch(xml.replace(/<[^>]*>/g, ''), /[<>]|&(?!(amp|lt|gt|quot|apos);)/, 'text is escaped');
}

function series(svg: string, metric: string, system: string): string {
  const start = svg.indexOf(`<g class="series" data-metric="${metric}" data-system="${system}"`);
  assert.ok(start >= 0, `a ${metric} series for ${system}`);
  let depth = 0;
  const tag = /<(\/?)g[\s>]/g;
  tag.lastIndex = start;
  let match: RegExpExecArray | null;
  while ((match = tag.exec(svg)) !== null) {
    depth += match[1] === '/' ? -1 : 1;
    if (depth === 0) return svg.slice(start, match.index);
  }
  throw new Error('series never closed');
}

test('the chart is well-formed SVG with a throughput and a latency series for each system', () => {
  const svg = renderSvg(sampleReport());
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assertWellFormed(svg);
  for (const system of ['etcd', 'trellis']) {
    assert.ok(series(svg, 'throughput', system));
    assert.ok(series(svg, 'latency', system));
  }
});

test('each bar carries the throughput of its workload, and each latency mark its percentile', () => {
  const svg = renderSvg(sampleReport());
  const etcd = series(svg, 'throughput', 'etcd');
  assert.match(etcd, /<rect data-workload="put64" data-value="3200\.0"/);
  assert.match(etcd, /<rect data-workload="watch" data-value="20000\.0"/);
  assert.equal((etcd.match(/class="round"/g) ?? []).length, 4, 'a tick for each of the two rounds of two workloads');
  const latency = series(svg, 'latency', 'trellis');
  for (const percentile of ['p50', 'p99', 'p99.9']) assert.match(latency, new RegExp(`data-percentile="${percentile.replace('.', '\\.')}" data-value="\\d+\\.\\d{3}"`));
});

test('a workload that failed in every round has no bar, and names from outside are escaped', () => {
  const report = sampleReport([{ name: 'etcd' }, { name: 'tr<e>llis & co' }]);
  const renamed = { ...report, measurements: report.measurements.filter((m) => m.system === 'etcd' || m.workload === 'put64').map((m) => (m.system === 'trellis' ? { ...m, system: 'tr<e>llis & co' } : m)) };
  const svg = renderSvg(renamed);
  assertWellFormed(svg);
  const other = series(svg, 'throughput', 'tr&lt;e&gt;llis &amp; co');
  assert.match(other, /data-workload="put64"/);
  assert.doesNotMatch(other, /data-workload="watch"/);
});
