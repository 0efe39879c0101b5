// watch: prints each event as etcdctl does (PUT / key / value), until the
// server cancels the watch (exit 5, as etcdctl) or the user presses Ctrl-C.
// With -i, reads `watch ...` and `progress` lines from standard input; with
// `-- command args`, runs the command for every event with ETCD_WATCH_*
// set in its environment.

import { spawnSync } from 'node:child_process';
import { Command, CommanderError } from 'commander';
import { CliError, exitCodes, requestFailed } from './cli-error.js';
import type { ClientContext } from './client-context.js';
import type { Wire } from './connection.js';
import { goQuote } from './go-format.js';
import { Interruption } from './interruption.js';
import { eventTypeName, showWatch } from './kv-display.js';
import { LineReader } from './line-reader.js';
import { requireFormat } from './output.js';
import { splitWords } from './txn-syntax.js';
import { addWatchOptions, watchSpec, type WatchFlags } from './watch-options.js';
import { WatchStream, type WatchSpec } from './watch-stream.js';

/** What etcd's client reports for a canceled watch. */
function cancelReason(response: Wire): string {
  if (BigInt(response['compact_revision'] ?? '0') !== 0n) return 'etcdserver: mvcc: required revision has been compacted';
  const reason = String(response['cancel_reason'] ?? '');
  if (reason === '') return 'etcdserver: mvcc: required revision is a future revision';
  return /^(etcdserver|mvcc): /.test(reason) ? reason : `rpc error: code = FailedPrecondition desc = ${reason}`;
}

/** The words after `--` on the command line: a command to run for every event. */
function execArgsOf(argv: readonly string[]): string[] {
  const watchAt = argv.indexOf('watch');
  const separator = argv.indexOf('--', watchAt);
  return watchAt < 0 || separator < 0 ? [] : argv.slice(separator + 1);
}

function runForEvents(execArgs: readonly string[], response: Wire): void {
  for (const event of (response['events'] ?? []) as Wire[]) {
    const run = spawnSync(execArgs[0]!, execArgs.slice(1), {
      stdio: 'inherit',
      env: {
        ...process.env,
        ETCD_WATCH_REVISION: String(response['header']?.['revision'] ?? '0'),
        ETCD_WATCH_EVENT_TYPE: goQuote(eventTypeName(event)),
        ETCD_WATCH_KEY: goQuote(event['kv']?.['key'] ?? Buffer.alloc(0)),
        ETCD_WATCH_VALUE: goQuote(event['kv']?.['value'] ?? Buffer.alloc(0)),
      },
    });
    if (run.status !== 0) throw new CliError(`command [${execArgs.map((a) => goQuote(a)).join(' ')}] error (${run.error?.message ?? `exit status ${run.status ?? run.signal}`})`);
  }
}

/** A `watch [options] key [range_end]` line of interactive mode, parsed with the watch command's own flags. */
function parseInteractiveLine(words: string[]): WatchSpec {
  let spec: WatchSpec | null = null;
  const parser = new Command('watch-line').exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  addWatchOptions(parser.command('watch').argument('[args...]')).action((args: string[], flags: WatchFlags) => {
    spec = watchSpec(args, flags);
  });
  try {
    parser.parse(words, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) throw new CliError(error.message.replace(/^error: /, ''));
    throw error;
  }
  if (spec === null) throw new CliError('only watch and progress are supported');
  return spec;
}

export async function watch(context: ClientContext, args: string[], flags: WatchFlags): Promise<number> {
  const { format, hex } = context.settings;
  requireFormat(format, ['simple', 'json', 'fields', 'protobuf']);
  const execArgs = flags.interactive === true ? [] : execArgsOf(process.argv);
  const spec = flags.interactive === true ? null : watchSpec(execArgs.length > 0 ? args.slice(0, args.length - execArgs.length) : args, flags);
  let finish: (code: number) => void = () => {};
  const finished = new Promise<number>((resolve) => (finish = resolve));
  const stream = new WatchStream((fresh) => (fresh ? context.redial() : context.connection()), {
    response: (_watcher, response) => {
      try {
        if (response['canceled'] === true) context.sink.err(`watch was canceled (${cancelReason(response)})\n`);
        const events: Wire[] = response['events'] ?? [];
        if (events.length === 0 && response['canceled'] !== true && BigInt(response['compact_revision'] ?? '0') === 0n) {
          context.sink.out(`progress notify: ${response['header']?.['revision'] ?? 0}\n`);
        }
        context.sink.out(showWatch({ format, hex }, response));
        if (execArgs.length > 0) runForEvents(execArgs, response);
        if (stream.active === 0 && flags.interactive !== true) finish(-1);
      } catch (error) {
        context.sink.err(`Error: ${(error as Error).message}\n`);
        finish(exitCodes.error);
      }
    },
    failed: (error) => {
      context.sink.err(`Error: ${requestFailed(error).message}\n`);
      finish(exitCodes.error);
    },
  });
  const interruption = new Interruption(() => finish(exitCodes.interrupted));
  let reader: LineReader | null = null;
  try {
    await stream.open();
    if (spec !== null) stream.add(spec);
    else void readInteractive((reader = new LineReader(process.stdin)), stream, context, finish);
    const code = await finished;
    // etcdctl's words when the server canceled the only watch.
    if (code === -1) throw new CliError('watch is canceled by the server', exitCodes.interrupted);
    return code;
  } finally {
    stream.close();
    reader?.close();
    interruption.dispose();
  }
}

async function readInteractive(reader: LineReader, stream: WatchStream, context: ClientContext, finish: (code: number) => void): Promise<void> {
  for (;;) {
    const line = await reader.next().catch(() => null);
    if (line === null) {
      context.sink.err('Error: Error reading watch request line: EOF\n');
      finish(exitCodes.invalidInput);
      return;
    }
    let words: string[];
    try {
      words = splitWords(line).map((word) => word.toString('utf8'));
    } catch (error) {
      context.sink.err(`Invalid command ${line} (${(error as Error).message})\n`);
      continue;
    }
    if (words[0] === 'progress') stream.requestProgress();
    else if (words[0] !== 'watch') context.sink.err(`Invalid command ${line} (only watch and progress supported)\n`);
    else {
      try {
        stream.add(parseInteractiveLine(words));
      } catch (error) {
        context.sink.err(`Invalid command ${line} (${(error as Error).message})\n`);
      }
    }
  }
}
