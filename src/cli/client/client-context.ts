// What a client command runs with: its settings, where it writes, and the
// connections it opened, all closed when it ends. clientAction turns a
// command body into a Commander action that reports failures the way
// etcdctl does (`Error: ...` on stderr, etcdctl's exit code).

import type { Command } from 'commander';
import { CliError, exitCodes, requestFailed } from './cli-error.js';
import { clientSettings, type ClientSettings } from './client-options.js';
import { Connection } from './connection.js';
import type { Endpoint } from './endpoints.js';
import { processSink, type Sink } from './output.js';

export class ClientContext {
  private shared: Promise<Connection> | null = null;
  private readonly opened: Connection[] = [];

  constructor(
    readonly settings: ClientSettings,
    readonly sink: Sink = processSink,
  ) {}

  /** One connection to whichever endpoint answers first. */
  connection(): Promise<Connection> {
    this.shared ??= this.dial(this.settings.endpoints);
    return this.shared;
  }

  /** A fresh connection after the shared one broke (a watch or keep-alive resuming after its member went away). */
  redial(): Promise<Connection> {
    const broken = this.shared;
    this.shared = this.dial(this.settings.endpoints);
    void broken?.then((connection) => connection.close(), () => {});
    return this.shared;
  }

  /** A connection to this endpoint alone (endpoint status, health, hashkv, defrag). */
  connectionTo(endpoint: Endpoint): Promise<Connection> {
    return this.dial([endpoint]);
  }

  private async dial(endpoints: readonly Endpoint[]): Promise<Connection> {
    const connection = await Connection.dial(endpoints, this.settings.dialTimeoutMs, this.settings.commandTimeoutMs);
    this.opened.push(connection);
    return connection;
  }

  close(): void {
    for (const connection of this.opened) connection.close();
  }
}

export type ClientCommandBody<F> = (context: ClientContext, args: string[], flags: F, command: Command) => Promise<number | void>;

/** Longest a finished command waits for stray handles before it exits anyway. */
const exitGraceMs = 1_000;

/** A Commander action for `[args...]` commands: runs body, prints any failure as etcdctl does, sets the exit code. */
export function clientAction<F>(body: ClientCommandBody<F>, sink: Sink = processSink): (args: string[], flags: F, command: Command) => Promise<void> {
  return async (args, flags, command) => {
    let code: number = exitCodes.success;
    let context: ClientContext | null = null;
    try {
      context = new ClientContext(clientSettings(command), sink);
      code = (await body(context, args, flags, command)) ?? exitCodes.success;
    } catch (error) {
      const failure = error instanceof CliError ? error : requestFailed(error);
      sink.err(`Error: ${failure.message}\n`);
      code = failure.exitCode;
    } finally {
      context?.close();
    }
    process.exitCode = code;
    // gRPC may hold a socket open for a moment after close; never let that keep a finished command alive.
    setTimeout(() => process.exit(code), exitGraceMs).unref();
  };
}
