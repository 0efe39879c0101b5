#!/usr/bin/env -S node --max-semi-space-size=8
// The trellis command. Each subcommand lives in its own file under src/cli
// and registers itself here; `trellis --help` lists what exists.
import { Command, CommanderError } from 'commander';
import { registerBenchCommand } from './bench-command.js';
import { registerChaosCommand } from './chaos-command.js';
import { registerClientCommands } from './client/register.js';
import { registerDemoCommand } from './demo-log-command.js';
import { registerLocalClusterCommand } from './local-cluster-command.js';
import { registerServerCommand } from './server-command.js';
import { registerSimCommand } from './sim-command.js';
import { TRELLIS_VERSION } from './version.js';

const program = new Command('trellis')
  .description('Trellis: the patterns of distributed systems, composed into an etcd-compatible consistent core')
  .version(TRELLIS_VERSION, '-v, --version')
  .showHelpAfterError('(run trellis --help for the commands)')
  .exitOverride();

registerBenchCommand(program);
registerChaosCommand(program);
registerClientCommands(program);
registerDemoCommand(program);
registerLocalClusterCommand(program);
registerServerCommand(program);
registerSimCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  console.error(`trellis: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
