// etcdctl's global flags, on every client command: --endpoints,
// --dial-timeout, --command-timeout, --hex and -w/--write-out, also read
// from ETCDCTL_* environment variables as etcdctl reads them. They follow
// the command (trellis get foo --endpoints=...), since trellis's root command
// also runs servers and simulations that take none of them.

import { InvalidArgumentError, Option, type Command } from 'commander';
import { CliError, exitCodes } from './cli-error.js';
import { parseEndpoints, type Endpoint } from './endpoints.js';
import { parseGoDuration } from './go-format.js';
import { outputFormats, parseOutputFormat, type OutputFormat } from './output.js';

export const defaultEndpoint = '127.0.0.1:2379';
const defaultDialTimeoutMs = 2_000;
const defaultCommandTimeoutMs = 5_000;

interface ClientFlags {
  endpoints?: string[];
  dialTimeout: number;
  commandTimeout: number;
  hex?: boolean;
  writeOut: string;
}

export interface ClientSettings {
  readonly endpoints: readonly Endpoint[];
  readonly dialTimeoutMs: number;
  readonly commandTimeoutMs: number;
  /** etcdctl gives `snapshot save` no deadline unless --command-timeout is given. */
  readonly commandTimeoutGiven: boolean;
  readonly hex: boolean;
  readonly format: OutputFormat;
}

/** A positive Go duration (2s, 500ms, 1m30s) in milliseconds. */
export function parseDurationMs(text: string): number {
  const ns = parseGoDuration(text.trim());
  if (ns === null) throw new InvalidArgumentError(`not a duration: expected a number with a unit (ns, us, ms, s, m, h), like 2s or 500ms`);
  if (ns <= 0) throw new InvalidArgumentError('a timeout must be longer than 0s');
  return ns / 1e6;
}

function collectEndpoints(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function addClientOptions(command: Command): Command {
  return command
    .addOption(new Option('--endpoints <list>', `gRPC endpoints, comma separated (default: ${defaultEndpoint})`).env('ETCDCTL_ENDPOINTS').argParser(collectEndpoints))
    .addOption(new Option('--dial-timeout <duration>', 'dial timeout for client connections').default(defaultDialTimeoutMs, '2s').env('ETCDCTL_DIAL_TIMEOUT').argParser(parseDurationMs))
    .addOption(
      new Option('--command-timeout <duration>', 'timeout for short running command (excluding dial timeout)')
        .default(defaultCommandTimeoutMs, '5s')
        .env('ETCDCTL_COMMAND_TIMEOUT')
        .argParser(parseDurationMs),
    )
    .addOption(new Option('--hex', 'print byte strings as hex encoded strings'))
    .addOption(new Option('-w, --write-out <format>', `set the output format (${outputFormats.join(', ')})`).default('simple').env('ETCDCTL_WRITE_OUT'));
}

export function clientSettings(command: Command): ClientSettings {
  const flags = command.opts<ClientFlags>();
  const format = parseOutputFormat(flags.writeOut);
  const endpoints = parseEndpoints(flags.endpoints ?? [defaultEndpoint]);
  const source = command.getOptionValueSource('commandTimeout');
  if (!Number.isFinite(flags.dialTimeout) || !Number.isFinite(flags.commandTimeout)) throw new CliError('timeouts must be finite', exitCodes.badArgs);
  return {
    endpoints,
    dialTimeoutMs: flags.dialTimeout,
    commandTimeoutMs: flags.commandTimeout,
    commandTimeoutGiven: source === 'cli' || source === 'env',
    hex: flags.hex === true,
    format,
  };
}
