// The client commands for people without etcdctl, registered on the trellis
// command: their names, arguments and flags, as etcdctl 3.4 spells them.
// Each body loads on first use, so `trellis sim` and `trellis server` never
// pay for loading gRPC and etcd's protos.

import type { Command } from 'commander';
import { addSnapshotRestore } from '../snapshot-restore-command.js';
import type { ClientCommandBody } from './client-context.js';
import { addClientOptions } from './client-options.js';
import { addDelOptions, addGetOptions, addPutOptions, parseWholeNumber } from './kv-requests.js';
import { addWatchOptions } from './watch-options.js';

/** The action: every operand (Commander's own positional parameters are only for help), the flags, the command. */
function lazy<M, F>(load: () => Promise<M>, pick: (module: M) => ClientCommandBody<F>): (...params: unknown[]) => Promise<void> {
  return async (...params) => {
    const command = params[params.length - 1] as Command;
    const [{ clientAction }, module] = await Promise.all([import('./client-context.js'), load()]);
    await clientAction(pick(module))([...command.args], params[params.length - 2] as F, command);
  };
}

/**
 * A leaf command. Its arguments are all optional to Commander and any number
 * is accepted: the body checks them, so a missing or extra one gets
 * etcdctl's words for it. `args` names them for the help.
 */
function leaf(parent: Command, name: string, args: readonly string[], description: string, usage?: string): Command {
  const command = parent.command(name).description(description).allowExcessArguments(true);
  for (const arg of args) command.argument(`[${arg}]`);
  if (usage !== undefined) command.usage(usage);
  return addClientOptions(command);
}

function group(program: Command, name: string, description: string): Command {
  return program.command(name).usage('<subcommand>').description(description);
}

const kv = (): Promise<typeof import('./kv-commands.js')> => import('./kv-commands.js');
const txn = (): Promise<typeof import('./txn-command.js')> => import('./txn-command.js');
const watch = (): Promise<typeof import('./watch-command.js')> => import('./watch-command.js');
const lease = (): Promise<typeof import('./lease-commands.js')> => import('./lease-commands.js');
const member = (): Promise<typeof import('./member-commands.js')> => import('./member-commands.js');
const endpoint = (): Promise<typeof import('./endpoint-commands.js')> => import('./endpoint-commands.js');
const maintenance = (): Promise<typeof import('./maintenance-commands.js')> => import('./maintenance-commands.js');
const snapshot = (): Promise<typeof import('./snapshot-commands.js')> => import('./snapshot-commands.js');

export function registerClientCommands(program: Command): void {
  addGetOptions(leaf(program, 'get', ['key', 'range_end'], 'Gets the key or a range of keys', '[options] <key> [range_end]')).action(lazy(kv, (m) => m.get));
  addPutOptions(leaf(program, 'put', ['key', 'value'], 'Puts the given key into the store', '[options] <key> <value>  (<value> can also be given from stdin)')).action(lazy(kv, (m) => m.put));
  addDelOptions(leaf(program, 'del', ['key', 'range_end'], 'Removes the specified key or range of keys [key, range_end)', '[options] <key> [range_end]')).action(lazy(kv, (m) => m.del));
  leaf(program, 'txn', [], 'Txn processes all the requests in one transaction (compares, success and failure requests from stdin, each ended by an empty line)', '[options]')
    .option('-i, --interactive', 'Input transaction in interactive mode')
    .action(lazy(txn, (m) => m.txn));
  addWatchOptions(leaf(program, 'watch', ['key-or-prefix', 'range_end'], 'Watches events stream on keys or prefixes', '[options] [key or prefix] [range_end] [--] [exec-command arg1 arg2 ...]'))
    .action(lazy(watch, (m) => m.watch));
  leaf(program, 'compaction', ['revision'], 'Compacts the event history in etcd', '[options] <revision>')
    .alias('compact')
    .option('--physical', "'true' to wait for compaction to physically remove all old revisions")
    .action(lazy(maintenance, (m) => m.compaction));
  leaf(program, 'move-leader', ['transferee-member-id'], 'Transfers leadership to another etcd cluster member.', '<transferee-member-id>').action(lazy(maintenance, (m) => m.moveLeader));
  leaf(program, 'defrag', [], 'Defragments the storage of the etcd members with given endpoints', '[options]')
    .option('--cluster', 'use all endpoints from the cluster member list')
    .action(lazy(maintenance, (m) => m.defrag));

  const leases = group(program, 'lease', 'Lease related commands');
  leaf(leases, 'grant', ['ttl'], 'Creates leases', '<ttl>').action(lazy(lease, (m) => m.grant));
  leaf(leases, 'revoke', ['leaseID'], 'Revokes leases', '<leaseID>').action(lazy(lease, (m) => m.revoke));
  leaf(leases, 'timetolive', ['leaseID'], 'Get lease information', '<leaseID> [options]').option('--keys', 'Get keys attached to this lease').action(lazy(lease, (m) => m.timeToLive));
  leaf(leases, 'list', [], 'List all active leases').action(lazy(lease, (m) => m.list));
  leaf(leases, 'keep-alive', ['leaseID'], 'Keeps leases alive (renew)', '[options] <leaseID>')
    .option('--once', 'Resets the keep-alive time to its original value and exits immediately')
    .action(lazy(lease, (m) => m.keepAlive));

  const members = group(program, 'member', 'Membership related commands');
  leaf(members, 'add', ['memberName'], 'Adds a member into the cluster', '<memberName> [options]')
    .option('--peer-urls <urls>', 'comma separated peer URLs for the new member.')
    .option('--learner', 'indicates if the new member is raft learner')
    .action(lazy(member, (m) => m.add));
  leaf(members, 'remove', ['memberID'], 'Removes a member from the cluster', '<memberID>').action(lazy(member, (m) => m.remove));
  leaf(members, 'update', ['memberID'], 'Updates a member in the cluster', '<memberID> [options]')
    .option('--peer-urls <urls>', 'comma separated peer URLs for the updated member.')
    .action(lazy(member, (m) => m.update));
  leaf(members, 'list', [], 'Lists all members in the cluster').action(lazy(member, (m) => m.list));
  leaf(members, 'promote', ['memberID'], 'Promotes a non-voting member in the cluster', '<memberID>').action(lazy(member, (m) => m.promote));

  const endpoints = group(program, 'endpoint', 'Endpoint related commands');
  const cluster = (command: Command): Command => command.option('--cluster', 'use all endpoints from the cluster member list');
  cluster(leaf(endpoints, 'health', [], 'Checks the healthiness of endpoints specified in `--endpoints` flag')).action(lazy(endpoint, (m) => m.health));
  cluster(leaf(endpoints, 'status', [], 'Prints out the status of endpoints specified in `--endpoints` flag')).action(lazy(endpoint, (m) => m.status));
  cluster(leaf(endpoints, 'hashkv', [], 'Prints the KV history hash for each endpoint in --endpoints'))
    .option('--rev <revision>', 'maximum revision to hash (default: all revisions)', parseWholeNumber, 0)
    .action(lazy(endpoint, (m) => m.hashKv));

  const alarms = group(program, 'alarm', 'Alarm related commands');
  leaf(alarms, 'disarm', [], 'Disarms all alarms').action(lazy(maintenance, (m) => m.alarmDisarm));
  leaf(alarms, 'list', [], 'Lists all alarms').action(lazy(maintenance, (m) => m.alarmList));

  const snapshots = group(program, 'snapshot', 'Manages etcd node snapshots');
  leaf(snapshots, 'save', ['filename'], 'Stores an etcd node backend snapshot to a given file', '<filename>').action(lazy(snapshot, (m) => m.save));
  leaf(snapshots, 'status', ['filename'], 'Gets backend snapshot status of a given file', '<filename>').action(lazy(snapshot, (m) => m.status));
  addSnapshotRestore(snapshots);
}
