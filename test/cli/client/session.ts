// Runs one scripted client session, step by step, with either etcdctl or
// the trellis command as a real process, and keeps each step's stdout, the
// error lines a user reads on stderr, and how it exited. Things that differ
// between any two runs are normalised: ports, lease ids, durations, the TTL
// a lease has left, the work directory. Revisions, member and cluster ids,
// hashes and sizes are kept: both sessions run against identical fresh
// servers fed identical writes, so those must agree.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const etcdctlPath = '/usr/bin/etcdctl';
export const trellisMain = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));

export type ClientName = 'etcdctl' | 'trellis';

export interface Vars {
  lease: string;
  /** Every lease id the session saw, in hex, normalised like lease. */
  readonly otherLeases: string[];
  memberId: string;
  revision: string;
  readonly workDir: string;
}

type Args = readonly string[] | ((vars: Vars) => readonly string[]);

export interface Step {
  readonly title: string;
  readonly args: Args;
  readonly stdin?: string;
  /**
   * A watch: run until a put of this key shows in its output. With `before`,
   * the put is made before the watch starts, so every event comes from
   * history in one response.
   */
  readonly sentinel?: { readonly key: string; readonly value: string; readonly before?: boolean; readonly until?: RegExp };
  /** A long-running command: once its output matches `when`, run `then` (with etcdctl), and wait for the command to end. */
  readonly meanwhile?: { readonly when: RegExp; readonly then: (vars: Vars) => readonly string[] };
  readonly capture?: (stdout: string, vars: Vars) => void;
  /** Done to the server before the step, by the test itself (what neither client can do, such as raising an alarm). */
  readonly prepare?: (endpoint: string) => Promise<void>;
  /**
   * Where trellis words a failure differently on purpose (etcdctl's text is
   * a Go parse error or says too little): trellis's error line must match
   * this, and everything else (stdout, exit code) must still be the same.
   */
  readonly trellisSays?: RegExp;
}

export interface Run {
  readonly stdout: string;
  readonly stderr: string;
  readonly exit: string;
}

export interface StepOutcome {
  readonly title: string;
  readonly command: string;
  readonly output: string;
  readonly stdout: string;
  readonly userErrors: string;
  readonly exit: string;
}

/** Longest one step may take; a step that hangs is killed and its partial output compared. */
const stepLimitMs = 30_000;

export function runClient(
  client: ClientName,
  endpoint: string,
  args: readonly string[],
  options: { stdin?: string; until?: (stdout: string) => boolean; onOutput?: (stdout: string) => void } = {},
): { done: Promise<Run>; stop(): void } {
  // Global flags go before any `--` (after it come a watch's exec command) and after the command words (trellis takes them there).
  const separator = args.indexOf('--');
  const globals = [`--endpoints=${endpoint}`, '--command-timeout=10s'];
  const full = separator < 0 ? [...args, ...globals] : [...args.slice(0, separator), ...globals, ...args.slice(separator)];
  const child =
    client === 'etcdctl'
      ? spawn(etcdctlPath, full, { env: { ...process.env, ETCDCTL_API: '3' }, stdio: ['pipe', 'pipe', 'pipe'] })
      : spawn(process.execPath, [trellisMain, ...full], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const stop = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  const limit = setTimeout(stop, stepLimitMs);
  child.stdout.setEncoding('latin1').on('data', (chunk: string) => {
    stdout += chunk;
    options.onOutput?.(stdout);
    if (options.until?.(stdout) === true) stop();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.on('error', () => {});
  child.stdin.end(options.stdin ?? '');
  const done = new Promise<Run>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(limit);
      resolve({ stdout, stderr, exit: signal !== null ? 'stopped' : String(code) });
    });
  });
  return { done, stop };
}

/** Runs every step against one endpoint (host:port) of a fresh, empty server. */
export async function runSession(client: ClientName, endpoint: string, workDir: string, steps: readonly Step[]): Promise<StepOutcome[]> {
  const vars: Vars = { lease: 'none', otherLeases: [], memberId: 'none', revision: '0', workDir };
  const outcomes: StepOutcome[] = [];
  const helper = (args: readonly string[]): Promise<Run> => runClient('etcdctl', endpoint, args).done;
  for (const step of steps) {
    const args = typeof step.args === 'function' ? step.args(vars) : step.args;
    await step.prepare?.(endpoint);
    let run: Run;
    if (step.sentinel !== undefined) {
      const { key, value } = step.sentinel;
      const seen = (stdout: string): boolean =>
        step.sentinel!.until?.test(stdout) ?? (stdout.includes(`${key}\n${value}`) || stdout.includes(Buffer.from(value).toString('base64')));
      if (step.sentinel.before === true) await helper(['put', key, value]);
      const watch = runClient(client, endpoint, args, { until: seen });
      if (step.sentinel.before !== true && (await helper(['put', key, value])).exit !== '0') watch.stop();
      run = await watch.done;
    } else if (step.meanwhile !== undefined) {
      const { when, then } = step.meanwhile;
      let fired: Promise<Run> | null = null;
      const command = runClient(client, endpoint, args, { onOutput: (stdout) => void (when.test(stdout) && (fired ??= helper(then(vars)))) });
      run = await command.done;
      await fired;
    } else {
      run = await runClient(client, endpoint, args, { stdin: step.stdin }).done;
    }
    step.capture?.(run.stdout, vars);
    outcomes.push({
      title: step.title,
      command: normalise(args.join(' '), vars),
      output: normalise(describe(run), vars),
      stdout: normalise(run.stdout, vars),
      userErrors: normalise(userLines(run.stderr).join('\n'), vars),
      exit: run.exit,
    });
  }
  return outcomes;
}

/** etcdctl's client library logs retries and snapshot progress as JSON lines; only what a user reads is compared. */
function userLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('{'));
}

function describe(run: Run): string {
  return `${run.stdout}\n[stderr]\n${userLines(run.stderr).join('\n')}\n[exit ${run.exit}]`;
}

export function normalise(text: string, vars: Vars): string {
  let out = text;
  for (const lease of vars.lease === 'none' ? vars.otherLeases : [vars.lease, ...vars.otherLeases]) {
    out = out.split(lease).join('<lease-id>');
    out = out.split(BigInt(`0x${lease}`).toString()).join('<lease-id>');
  }
  out = out
    .split(vars.workDir)
    .join('<dir>')
    // Ephemeral ports all have five digits, so tables keep their widths.
    .replace(/https?:\/\/127\.0\.0\.1:\d+/g, '<url>')
    .replace(/127\.0\.0\.1:\d+/g, '<endpoint>')
    .replace(/remaining\(\d+s\)/g, 'remaining(<n>s)')
    .replace(/"ttl":\d+/g, '"ttl":<n>')
    .replace(/took = [\d.]+[µnm]?s/g, 'took = <duration>')
    .replace(/"took":"[\d.]+[µnm]?s"/g, '"took":"<duration>"')
    .replace(/"Took" : [\d.]+[µnm]?s/g, '"Took" : <duration>')
    // A keep-alive renews every TTL/3 s: how many renewals fit before the revoke lands depends on the machine.
    .replace(/(lease <lease-id> keepalived with TTL\(\d+\)\n)+/g, '$1');
  // A duration's width decides its table column's: compare that table's shape, not its padding.
  if (/\| +[\d.]+[µnm]?s +\|/.test(out)) out = out.replace(/\| +[\d.]+[µnm]?s +\|/g, '| <duration> |').replace(/-{2,}/g, '--').replace(/ {2,}/g, ' ');
  return out;
}
