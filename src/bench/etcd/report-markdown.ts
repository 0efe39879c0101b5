// The report a person reads: what was run, a table of figures per system and
// workload, the ratios B / A with each system's round-to-round spread beside
// them (a ratio inside that spread is noise), and what the generator cost.

import type { LatencySummaryMs } from './histogram.js';
import { loadgenShare, summarize, type BenchReport } from './report.js';

export function formatOpsPerS(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** Three significant digits, which is what a latency measured to 1.6% can claim. */
export function formatMs(value: number | undefined): string {
  if (value === undefined) return '–';
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  if (value >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

export function formatRatio(value: number | undefined): string {
  return value === undefined ? '–' : `${value.toFixed(2)}x`;
}

export function formatPercent(value: number | undefined): string {
  return value === undefined ? '–' : `${(value * 100).toFixed(0)}%`;
}

function formatCpu(value: number | undefined): string {
  return value === undefined ? '–' : value.toFixed(3);
}

function bytes(value: number): string {
  if (value >= 1024 ** 3 && value % 1024 ** 3 === 0) return `${value / 1024 ** 3} GiB`;
  if (value >= 1024 * 1024) return `${(value / (1024 * 1024)).toFixed(1)} MiB`;
  return `${value} bytes`;
}

function latencyCells(latency: LatencySummaryMs | undefined): string[] {
  return [formatMs(latency?.p50), formatMs(latency?.p99), formatMs(latency?.p999)];
}

export function renderMarkdown(report: BenchReport): string {
  const ran = report.systems.filter((s) => s.unavailable === undefined).map((s) => s.name);
  const order = ran.length === 2 ? `${ran[0]} ${ran[1]}, `.repeat(report.rounds).trim().replace(/,$/, '') : ran.join(', ');
  const s = report.settings;
  const lines: string[] = [
    `# trellis bench etcd: ${ran.join(' vs ')}`,
    '',
    `Started ${report.startedAt}, finished ${report.finishedAt}. ${report.rounds} round(s) in alternation (${order}); each workload ${report.durationS} s measured after ${report.warmupS} s of warm-up.`,
    `Each system: 3 members on 127.0.0.1, fsync on, fresh data directories under ${report.machine.dataDir}; ${report.keys.toLocaleString('en-US')} keys, ${report.valueBytes}-byte values.`,
    `Same settings for both: heartbeat ${s.heartbeatMs} ms, election timeout ${s.electionMs} ms, snapshot count ${s.snapshotCount}, quota ${bytes(s.quotaBackendBytes)}, max request ${bytes(s.maxRequestBytes)}.`,
    `Machine: ${report.machine.cpus} cores; load average ${report.machine.loadAverageBefore.map((l) => l.toFixed(2)).join(' ')} before, ${report.machine.loadAverageAfter.map((l) => l.toFixed(2)).join(' ')} after. Other work on the machine shows up as spread between rounds.`,
  ];
  for (const system of report.systems) {
    if (system.unavailable !== undefined) lines.push('', `**${system.name} was not run:** ${system.unavailable}`);
  }

  const summaries = summarize(report);
  lines.push('', '## Figures', '',
    'Latency in ms. CPU in CPU-seconds per 1,000 operations: the servers\' summed over their 3 processes (utime + stime from /proc), the load generator\'s its own; both over the measured window only. For watch an operation is one event delivered to one watcher, and latency runs from the writer sending the put to the watcher receiving the event.',
    '',
    '| workload | system | ops/s | ops/s by round | p50 | p99 | p99.9 | server CPU-s / 1k ops | loadgen CPU-s / 1k ops | loadgen cores | errors |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const summary of summaries) {
    for (const { system, figures } of summary.figures) {
      const name = `${summary.workload.name}${summary.workload.unit === 'events' && figures?.writesPerS !== undefined ? ` (${formatOpsPerS(figures.writesPerS)} writes/s)` : ''}`;
      if (figures === undefined) {
        lines.push(`| ${name} | ${system} | failed | | | | | | | | |`);
        continue;
      }
      lines.push(`| ${name} | ${system} | ${formatOpsPerS(figures.opsPerS)} | ${figures.opsPerSByRound.map(formatOpsPerS).join(' / ')} | ${latencyCells(figures.latencyMs).join(' | ')} | ${formatCpu(figures.serverCpuSPer1kOps)} | ${formatCpu(figures.clientCpuSPer1kOps)} | ${figures.clientCores.toFixed(2)} | ${figures.errors} |`);
    }
  }

  if (ran.length === 2) {
    lines.push('', `## ${ran[1]} / ${ran[0]}`, '',
      `Ratios of ${ran[1]} to ${ran[0]}: above 1 means more throughput, or more latency or CPU. The spread is (max - min) / mean of a system's rounds; a ratio within it is not a difference.`,
      '',
      `| workload | ops/s | p50 | p99 | p99.9 | server CPU per op | spread ${ran[0]} | spread ${ran[1]} |`,
      '|---|--:|--:|--:|--:|--:|--:|--:|');
    for (const summary of summaries) {
      const r = summary.ratios;
      lines.push(`| ${summary.workload.name} | ${formatRatio(r?.opsPerS)} | ${formatRatio(r?.p50)} | ${formatRatio(r?.p99)} | ${formatRatio(r?.p999)} | ${formatRatio(r?.serverCpuPerOp)} | ${formatPercent(summary.figures[0]?.spread)} | ${formatPercent(summary.figures[1]?.spread)} |`);
    }
  }

  const share = loadgenShare(report);
  lines.push('', '## Load generator', '',
    `${report.loadgen.program}, GOMAXPROCS=${report.loadgen.goMaxProcs}. Over every measured window it used ${share.clientCpuS.toFixed(1)} CPU-s against the servers' ${share.serverCpuS.toFixed(1)} CPU-s (${formatPercent(share.serverCpuS > 0 ? share.clientCpuS / share.serverCpuS : undefined)} of theirs), at most ${share.peakClientCores.toFixed(2)} of a core in any window${share.ops > 0 ? `, ${((share.clientCpuS / share.ops) * 1e6).toFixed(0)} µs of CPU per operation on average` : ''}.`);

  // Near its GOMAXPROCS cap the generator, not the servers, may be what limits throughput.
  if (share.peakClientCores > 0.8 * report.loadgen.goMaxProcs) {
    lines.push('', `**Warning:** in some window the load generator used ${share.peakClientCores.toFixed(2)} cores of the ${report.loadgen.goMaxProcs} it may use: it may have limited throughput there; rerun with --loadgen-procs ${report.loadgen.goMaxProcs + 1}.`);
  }

  const failures = report.measurements.filter((m) => m.failure !== undefined || m.firstError !== undefined || (m.emptyReads ?? 0) > 0);
  if (failures.length > 0) {
    lines.push('', '## Failures and errors', '');
    for (const m of failures) {
      const what = m.failure ?? `${m.errors} failed request(s), first: ${m.firstError ?? '–'}${(m.emptyReads ?? 0) > 0 ? `; ${m.emptyReads} read(s) found no value` : ''}`;
      // The first line says what happened; log tails stay in results.json and the member logs.
      lines.push(`- ${m.system}, round ${m.round}, ${m.workload}: ${what.split('\n')[0]}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
