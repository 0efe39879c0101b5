// timeline.html: the run at a glance. One row per client, one bar per
// request from invocation to completion (green writes, blue reads, orange
// outcome unknown, grey refused), fault episodes as shaded bands with their
// targets, the time until writes resumed after each heal, and the requests
// the checker blamed outlined in red. Hovering a bar shows the request.

import type { RecordedOp } from './history.js';
import type { FaultRecord } from './nemesis.js';
import { acknowledgedWrite, describeFault, type RunSummary } from './report.js';
import type { RunRecord, Verdict } from './verdict.js';

const maxBars = 30_000;
const width = 1600;
const left = 150;
const rowHeight = 14;
const faultLaneHeight = 18;

/** XML allows no control characters but tab and newlines, and keys like "\0" (all keys) have them. */
export function isForbiddenInXml(code: number): boolean {
  return code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d;
}

const escape = (text: string): string => {
  let out = '';
  for (const c of text) {
    const code = c.charCodeAt(0);
    if (c === '&') out += '&amp;';
    else if (c === '<') out += '&lt;';
    else if (c === '>') out += '&gt;';
    else if (c === '"') out += '&quot;';
    else if (isForbiddenInXml(code)) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += c;
  }
  return out;
};

function familyColor(kind: string): string {
  if (kind.startsWith('kill')) return '#d62728';
  if (kind.startsWith('pause')) return '#9467bd';
  if (kind.startsWith('partition') || kind.startsWith('netns') || kind.startsWith('link')) return '#ff7f0e';
  if (kind.startsWith('clock')) return '#17becf';
  if (kind.startsWith('fsync') || kind.startsWith('disk')) return '#8c564b';
  return '#7f7f7f';
}

function describeOp(op: RecordedOp): string {
  const input = op.input;
  const request = input.kind === 'put' ? `put ${input.key}=${input.value}` : input.kind === 'range' ? `range ${input.key}${input.rangeEnd === undefined ? '' : '..'}` : input.kind === 'delete-range' ? `delete ${input.key}` : `txn if ${input.compare.map((c) => `${c.key}.${c.target} ${c.result} ${c.operand}`).join(',')}`;
  const outcome = op.output !== undefined ? `revision ${op.output.revision}${op.output.kind === 'range' ? `, ${op.output.kvs.map((kv) => `${kv.key}=${kv.value}`).join(' ') || 'nothing'}` : op.output.kind === 'txn' ? `, ${op.output.succeeded ? 'succeeded' : 'failed'}` : ''}` : op.error ?? 'no answer';
  return `op ${op.id} ${op.client} -> ${op.host}${op.purpose === undefined ? '' : ` (${op.purpose})`}: ${request} => ${outcome} [${op.callMs.toFixed(1)} .. ${op.returnMs?.toFixed(1) ?? 'never'} ms]`;
}

export function renderTimeline(record: RunRecord, verdict: Verdict, summary: RunSummary): string {
  const blamed = new Set(verdict.blamedOpIds);
  let ops = record.ops;
  if (ops.length > maxBars) ops = ops.filter((op, i) => blamed.has(op.id) || acknowledgedWrite(op) || op.output === undefined || i % Math.ceil(ops.length / maxBars) === 0).slice(0, maxBars);
  const endMs = Math.max(1, summary.wallMs, ...record.faults.map((f) => f.recoveredMs ?? f.healMs ?? f.startMs));
  const x = (ms: number): number => left + (Math.max(0, ms) / endMs) * (width - left - 20);
  const clients = [...new Set(ops.map((op) => op.client))].sort();
  const rowOf = new Map(clients.map((c, i) => [c, i]));
  const top = faultLaneHeight * 2 + 20;
  const height = top + clients.length * rowHeight + 40;
  const parts: string[] = [];
  for (let s = 0; s * 1000 <= endMs; s += endMs > 60_000 ? 10 : 5) {
    parts.push(`<line x1="${x(s * 1000)}" y1="${top - 6}" x2="${x(s * 1000)}" y2="${height - 30}" stroke="#eee"/><text x="${x(s * 1000)}" y="${height - 14}" font-size="10" text-anchor="middle">${s}s</text>`);
  }
  record.faults.forEach((fault: FaultRecord, i) => {
    const color = familyColor(fault.kind);
    const end = fault.healMs ?? fault.startMs + 50;
    const lane = (i % 2) * faultLaneHeight;
    const title = escape(describeFault(fault));
    parts.push(`<g><title>${title}</title><rect x="${x(fault.startMs)}" y="${top - 4}" width="${Math.max(2, x(end) - x(fault.startMs))}" height="${clients.length * rowHeight + 4}" fill="${color}" opacity="${fault.applicable ? 0.12 : 0.04}"/>`);
    parts.push(`<rect x="${x(fault.startMs)}" y="${lane + 4}" width="${Math.max(2, x(end) - x(fault.startMs))}" height="${faultLaneHeight - 4}" fill="${color}" opacity="${fault.applicable ? 0.45 : 0.15}"/>`);
    if (fault.recoveredMs !== undefined && fault.healMs !== undefined) parts.push(`<rect x="${x(fault.healMs)}" y="${lane + 10}" width="${Math.max(1, x(fault.recoveredMs) - x(fault.healMs))}" height="4" fill="${color}" opacity="0.4"/>`);
    parts.push(`<text x="${x(fault.startMs) + 2}" y="${lane + 15}" font-size="10" fill="#222">${escape(`${fault.kind} ${fault.targets.join(',')}`)}</text></g>`);
  });
  clients.forEach((client, i) => parts.push(`<text x="4" y="${top + i * rowHeight + 10}" font-size="11">${escape(client)}</text>`));
  const drawn = [...ops].sort((a, b) => Number(blamed.has(a.id)) - Number(blamed.has(b.id)));
  for (const op of drawn) {
    const y = top + rowOf.get(op.client)! * rowHeight + 1;
    const end = op.returnMs ?? Math.min(endMs, op.callMs + 2_000);
    const fill = op.definite === true ? '#999' : op.output === undefined ? '#f0a030' : acknowledgedWrite(op) ? '#2e8b57' : '#4682b4';
    const stroke = blamed.has(op.id) ? ' stroke="#e00" stroke-width="2"' : '';
    parts.push(`<rect x="${x(op.callMs)}" y="${y}" width="${Math.max(1, x(end) - x(op.callMs))}" height="${rowHeight - 3}" fill="${fill}"${stroke}><title>${escape(describeOp(op))}</title></rect>`);
  }
  const checks = verdict.checks.map((c) => `<li class="${c.status}"><b>[${c.status}] ${escape(c.name)}</b><pre>${escape(c.detail)}</pre></li>`).join('\n');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>chaos ${escape(summary.system)} seed ${summary.seed}: ${summary.verdict}</title>
<style>body{font-family:sans-serif;margin:16px}li.fail b{color:#c00}li.unknown b{color:#c60}li.pass b{color:#070}pre{margin:2px 0 8px 0;font-size:12px;white-space:pre-wrap}ul{list-style:none;padding:0}</style></head>
<body>
<h2>${escape(summary.system)}, ${summary.nodes} members, seed ${summary.seed}: ${summary.verdict.toUpperCase()}</h2>
<p>${summary.ops} requests (${summary.opsCompleted} answered, ${summary.opsUnknown} unknown), ${summary.watchEvents} watch events, final revision ${summary.finalRevision}, faults: ${escape(Object.entries(summary.faultsInjected).map(([k, n]) => `${k}×${n}`).join(', ') || 'none')}. ${ops.length < record.ops.length ? `Showing ${ops.length} of ${record.ops.length} requests.` : ''}</p>
<p>Bars: <span style="color:#2e8b57">write acknowledged</span>, <span style="color:#4682b4">read or unchanged</span>, <span style="color:#f0a030">outcome unknown</span>, <span style="color:#999">refused</span>; red outline: blamed by the checker. Bands: fault episodes; thin strips: heal until writes resumed.</p>
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
${parts.join('\n')}
</svg>
<ul>${checks}</ul>
</body></html>
`;
}
