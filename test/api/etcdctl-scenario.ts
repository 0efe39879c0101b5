// One etcdctl 3.4 session, run step by step against an etcd endpoint: the
// same script records the fixtures from real etcd and checks Trellis
// against them. Each step's stdout, the user-facing error line on stderr and
// the exit code are kept; ids, terms, sizes, hashes, times and addresses are
// normalised, because those legitimately differ between servers. Revisions
// are NOT normalised: both servers start at revision 1 and must agree.

import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const etcdctlPath = '/usr/bin/etcdctl';

export interface StepOutcome {
  readonly title: string;
  readonly command: string;
  readonly output: string;
}

export interface Vars {
  lease: string;
  memberId: string;
  revision: string;
  readonly workDir: string;
  /** Anything else a scenario captures: each value is replaced by <name> in outputs. */
  readonly extra: Map<string, string>;
}

type Args = readonly string[] | ((vars: Vars) => readonly string[]);

export interface Step {
  readonly title: string;
  readonly args: Args;
  readonly stdin?: string;
  /**
   * A watch: run until a put of this key shows in its output. With `before`,
   * the put is made before the watch starts, so every event comes from
   * history in one response and the JSON grouping is the same on any server.
   */
  readonly sentinel?: { readonly key: string; readonly value: string; readonly before?: boolean };
  readonly capture?: (stdout: string, vars: Vars) => void;
  /** More normalisation for this step's output, after the shared one (e.g. sorting lines whose order is not part of the contract). */
  readonly normalise?: (output: string) => string;
  /** Run this step against other endpoints than the session's (e.g. one member only). */
  readonly endpoint?: (vars: Vars) => string;
}

const txnSucceeds = 'value("boston") = "11"\n\nput boston 12\nput pune 5\n\nget london\n\n';
const txnFails = 'mod("london") > "100"\n\nput boston 13\n\nget london\nget philadelphia\n\n';
const txnTooMany = `\n${Array.from({ length: 129 }, (_, i) => `put widget${i} 1`).join('\n')}\n\n\n`;
const txnDuplicate = '\nput boston 1\nput boston 2\n\n\n';

export const steps: readonly Step[] = [
  { title: 'put boston', args: ['put', 'boston', '10'] },
  { title: 'put philadelphia', args: ['put', 'philadelphia', '7'] },
  { title: 'put london', args: ['put', 'london', '3'] },
  { title: 'put pune', args: ['put', 'pune', '4'] },
  { title: 'put with prev-kv', args: ['put', 'boston', '11', '--prev-kv'] },
  { title: 'get one key', args: ['get', 'boston'] },
  { title: 'get everything', args: ['get', '', '--prefix'] },
  { title: 'get prefix keys-only', args: ['get', 'p', '--prefix', '--keys-only'] },
  { title: 'get with limit', args: ['get', '', '--prefix', '--limit=2'] },
  { title: 'get sorted by value descending', args: ['get', '', '--prefix', '--sort-by=VALUE', '--order=DESCEND'] },
  { title: 'get sorted by create, values only', args: ['get', '', '--prefix', '--sort-by=CREATE', '--order=ASCEND', '--print-value-only'] },
  { title: 'get sorted by modify descending as json', args: ['get', '', '--prefix', '--sort-by=MODIFY', '--order=DESCEND', '-w', 'json'] },
  { title: 'get at an old revision', args: ['get', 'boston', '--rev=2'] },
  { title: 'get from key', args: ['get', 'l', '--from-key'] },
  { title: 'get as json', args: ['get', '', '--prefix', '-w', 'json'] },
  { title: 'get as fields', args: ['get', 'boston', '-w', 'fields'] },
  { title: 'get a missing key', args: ['get', 'madrid'] },
  { title: 'get a future revision', args: ['get', 'boston', '--rev=1000'] },
  { title: 'get serializable', args: ['get', 'pune', '--consistency=s'] },
  { title: 'txn that succeeds', args: ['txn'], stdin: txnSucceeds },
  { title: 'txn that fails, as json', args: ['txn', '-w', 'json'], stdin: txnFails },
  { title: 'txn with too many operations', args: ['txn'], stdin: txnTooMany },
  { title: 'txn with a duplicate key', args: ['txn'], stdin: txnDuplicate },
  { title: 'put a request that is too large', args: ['put', 'boston'], stdin: 'x'.repeat(1_600_000) },
  { title: 'delete with prev-kv', args: ['del', 'london', '--prev-kv'] },
  { title: 'delete a prefix with prev-kv', args: ['del', 'p', '--prefix', '--prev-kv'] },
  { title: 'delete a missing key', args: ['del', 'madrid'] },
  {
    title: 'lease grant',
    args: ['lease', 'grant', '600'],
    capture: (stdout, vars) => {
      vars.lease = /lease ([0-9a-f]+) granted/.exec(stdout)?.[1] ?? 'none';
    },
  },
  { title: 'put with a lease', args: (v) => ['put', '--lease=' + v.lease, 'pune', '6'] },
  { title: 'lease timetolive with keys', args: (v) => ['lease', 'timetolive', '--keys', v.lease] },
  { title: 'lease timetolive as json', args: (v) => ['lease', 'timetolive', v.lease, '-w', 'json'] },
  { title: 'lease list', args: ['lease', 'list'] },
  { title: 'lease keep-alive once', args: (v) => ['lease', 'keep-alive', '--once', v.lease] },
  { title: 'lease keep-alive once as json', args: (v) => ['lease', 'keep-alive', '--once', v.lease, '-w', 'json'] },
  { title: 'lease revoke', args: (v) => ['lease', 'revoke', v.lease] },
  { title: 'the leased key went with its lease', args: ['get', 'pune'] },
  { title: 'lease revoke again', args: (v) => ['lease', 'revoke', v.lease] },
  { title: 'lease timetolive after revoke', args: (v) => ['lease', 'timetolive', v.lease] },
  { title: 'lease list when empty', args: ['lease', 'list'] },
  { title: 'watch history with prev-kv', args: ['watch', 'b', '--prefix', '--rev=1', '--prev-kv'], sentinel: { key: 'bristol', value: 'end', before: true } },
  { title: 'watch a key as json', args: ['watch', 'philadelphia', '--rev=3', '-w', 'json'], sentinel: { key: 'philadelphia', value: 'end', before: true } },
  {
    title: 'get the current revision',
    args: ['get', 'boston', '-w', 'json'],
    capture: (stdout, vars) => {
      vars.revision = /"revision":(\d+)/.exec(stdout)?.[1] ?? '0';
    },
  },
  { title: 'watch from a future revision', args: (v) => ['watch', 'london', `--rev=${Number(v.revision) + 1}`], sentinel: { key: 'london', value: '9' } },
  { title: 'compaction', args: ['compaction', '5'] },
  { title: 'get a compacted revision', args: ['get', 'boston', '--rev=2'] },
  { title: 'watch a compacted revision', args: ['watch', 'boston', '--rev=2'] },
  { title: 'compaction again at the same revision', args: ['compaction', '5'] },
  {
    title: 'member list',
    args: ['member', 'list'],
    capture: (stdout, vars) => {
      vars.memberId = /^([0-9a-f]+),/.exec(stdout)?.[1] ?? '0';
    },
  },
  { title: 'member list as json', args: ['member', 'list', '-w', 'json'] },
  { title: 'member remove of an unknown member', args: ['member', 'remove', '1234'] },
  { title: 'member promote of a voting member', args: (v) => ['member', 'promote', v.memberId] },
  { title: 'endpoint status', args: ['endpoint', 'status'] },
  { title: 'endpoint status as json', args: ['endpoint', 'status', '-w', 'json'] },
  { title: 'endpoint status as table', args: ['endpoint', 'status', '-w', 'table'] },
  { title: 'endpoint health', args: ['endpoint', 'health'] },
  { title: 'endpoint hashkv', args: ['endpoint', 'hashkv'] },
  { title: 'move-leader to itself', args: (v) => ['move-leader', v.memberId] },
  { title: 'move-leader to a stranger', args: ['move-leader', '1234'] },
  { title: 'snapshot save', args: (v) => ['snapshot', 'save', join(v.workDir, 'snapshot.db')] },
  { title: 'alarm list', args: ['alarm', 'list'] },
  { title: 'defrag', args: ['defrag'] },
  { title: 'auth disable', args: ['auth', 'disable'] },
  { title: 'user list', args: ['user', 'list'] },
  { title: 'user get a stranger', args: ['user', 'get', 'alice'] },
  { title: 'role list', args: ['role', 'list'] },
];

export interface Run {
  readonly stdout: string;
  readonly stderr: string;
  readonly exit: string;
}

/** Longest any one etcdctl step may take; a step that hangs is killed and its partial output compared. */
const stepLimitMs = 15_000;

export function etcdctl(endpoint: string, args: readonly string[], stdin?: string, until?: (stdout: string) => boolean): { done: Promise<Run>; stop(): void } {
  const child = spawn(etcdctlPath, [`--endpoints=${endpoint}`, '--command-timeout=10s', ...args], {
    env: { ...process.env, ETCDCTL_API: '3' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const stop = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  const limit = setTimeout(stop, stepLimitMs);
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    if (until?.(stdout) === true) stop();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.on('error', () => {});
  child.stdin.end(stdin ?? '');
  const done = new Promise<Run>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(limit);
      resolve({ stdout, stderr, exit: signal !== null ? 'stopped' : String(code) });
    });
  });
  return { done, stop };
}

/** Runs every step against one endpoint (host:port, or several comma-separated) of a fresh, empty server. */
export async function runScenario(endpoint: string, workDir: string, scenario: readonly Step[] = steps, extra: ReadonlyMap<string, string> = new Map()): Promise<StepOutcome[]> {
  const vars: Vars = { lease: 'none', memberId: 'none', revision: '0', workDir, extra: new Map(extra) };
  const outcomes: StepOutcome[] = [];
  for (const step of scenario) {
    const args = typeof step.args === 'function' ? step.args(vars) : step.args;
    let run: Run;
    const stepEndpoint = step.endpoint?.(vars) ?? endpoint;
    if (step.sentinel !== undefined) {
      const { key, value } = step.sentinel;
      const seen = (stdout: string): boolean => stdout.includes(`${key}\n${value}`) || stdout.includes(Buffer.from(value).toString('base64'));
      const putSentinel = (): Promise<Run> => etcdctl(stepEndpoint, ['put', key, value]).done;
      if (step.sentinel.before === true) await putSentinel();
      const watch = etcdctl(stepEndpoint, args, undefined, seen);
      if (step.sentinel.before !== true && (await putSentinel()).exit !== '0') watch.stop();
      run = await watch.done;
    } else {
      run = await etcdctl(stepEndpoint, args, step.stdin).done;
    }
    step.capture?.(run.stdout, vars);
    const output = normalise(describe(run), vars);
    const command = normalise(`etcdctl ${args.join(' ')}`, vars);
    const more = step.normalise ?? ((text: string): string => text);
    outcomes.push({ title: step.title, command: more(command), output: more(output) });
  }
  return outcomes;
}

function describe(run: Run): string {
  // etcdctl's client library logs retries as JSON lines; only what a user reads is compared.
  const userLines = run.stderr.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('{'));
  return `${run.stdout}\n[stderr]\n${userLines.join("\n")}\n[exit ${run.exit}]`;
}

export function normalise(text: string, vars: Vars): string {
  let out = text;
  // Longest first, so an id that contains another is replaced whole.
  // Names starting with '_' are for arguments only, not replaced in outputs.
  for (const [name, value] of [...vars.extra].sort((a, b) => b[1].length - a[1].length)) {
    if (value !== '' && !name.startsWith('_')) out = out.split(value).join(`<${name}>`);
  }
  if (vars.lease !== 'none') out = out.split(vars.lease).join('<lease-id>');
  if (vars.memberId !== 'none') out = out.split(vars.memberId).join('<member-id>');
  out = out.split(vars.workDir).join('<dir>');
  return out
    .replace(/"(cluster_id|member_id|leader|raft_term|raftIndex|raftAppliedIndex|dbSize|dbSizeInUse|hash|ttl)":\d+/g, '"$1":<n>')
    .replace(/"(ID|id)":-?\d+/g, '"$1":<id>')
    .replace(/"version":"\d+\.\d+\.\d+"/g, '"version":"<version>"')
    .replace(/https?:\/\/127\.0\.0\.1:\d+/g, '<url>')
    .replace(/127\.0\.0\.1:\d+/g, '<endpoint>')
    .replace(/remaining\(\d+s\)/g, 'remaining(<n>s)')
    .replace(/took = [\d.]+[µnm]?s/g, 'took = <duration>')
    .replace(/\b\d+\.\d+\.\d+\b/g, '<version>')
    .replace(/\b\d+(\.\d+)? (B|kB|MB|GB)\b/g, '<size>')
    .replace(/"raftTerm":\d+/g, '"raftTerm":<n>')
    .replace(/^"(ClusterID|MemberID|RaftTerm)" : \d+$/gm, '"$1" : <n>')
    .replace(/-{2,}/g, '--')
    .replace(/ {2,}/g, ' ')
    .replace(/^(<endpoint>, <member-id>, <version>, <size>, (?:true|false), (?:true|false)), \d+, \d+, \d+,/gm, '$1, <term>, <index>, <applied>,')
    .replace(/^(\| <endpoint> \| <member-id> \| <version> \| <size> \| (?:true|false) \| (?:true|false) )\| \d+ \| \d+ \| \d+ \|/gm, '$1| <term> | <index> | <applied> |')
    .replace(/^(<endpoint>), \d+$/gm, '$1, <hash>');
}

/** The fixture format: one section per step, in order. */
export function formatOutcomes(outcomes: readonly StepOutcome[]): string {
  return outcomes.map((o) => `=== ${o.title}\n$ ${o.command}\n${o.output}\n`).join('\n');
}

export function parseOutcomes(text: string): StepOutcome[] {
  return text
    .split(/^=== /m)
    .filter((section) => section.trim() !== '')
    .map((section) => {
      const [title, command, ...rest] = section.split('\n');
      return { title: title!, command: command!.replace(/^\$ /, ''), output: rest.join('\n').replace(/\n+$/, '') };
    });
}
