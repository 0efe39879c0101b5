// watch's flags and how its arguments become a watch: the watch command
// and each line of watch -i share them. No gRPC here, so registering the
// command stays cheap.

import type { Command } from 'commander';
import { CliError, exitCodes } from './cli-error.js';
import { parseWholeNumber, prefixEnd } from './kv-requests.js';
import type { WatchSpec } from './watch-stream.js';

export interface WatchFlags {
  interactive?: boolean;
  prefix?: boolean;
  rev: number;
  prevKv?: boolean;
  progressNotify?: boolean;
}

export function addWatchOptions(command: Command): Command {
  return command
    .option('-i, --interactive', 'Interactive mode')
    .option('--prefix', 'Watch on a prefix if prefix is set')
    .option('--rev <revision>', 'Revision to start watching', parseWholeNumber, 0)
    .option('--prev-kv', 'get the previous key-value pair before the event happens')
    .option('--progress-notify', 'get periodic watch progress notification from server');
}

export function watchSpec(args: readonly string[], flags: WatchFlags): WatchSpec {
  if (args.length === 0) throw new CliError('bad number of arguments: watch needs a key or prefix (watch [options] <key or prefix> [range_end])', exitCodes.badArgs);
  if (args.length > 2) throw new CliError(`bad number of arguments: watch takes a key and an optional range_end, got ${args.length} (put a command to run after --)`, exitCodes.badArgs);
  if (args.length === 2 && flags.prefix === true) throw new CliError('`range_end` and `--prefix` are mutually exclusive', exitCodes.badArgs);
  let key: Buffer = Buffer.from(args[0]!, 'utf8');
  let rangeEnd: Buffer = args.length === 2 ? Buffer.from(args[1]!, 'utf8') : Buffer.alloc(0);
  if (flags.prefix === true) {
    if (key.length === 0) [key, rangeEnd] = [Buffer.from([0]), Buffer.from([0])];
    else rangeEnd = prefixEnd(key);
  }
  return { key, rangeEnd, startRevision: BigInt(Math.max(0, flags.rev)), prevKv: flags.prevKv === true, progressNotify: flags.progressNotify === true };
}

