// The client commands for people without etcdctl, registered on the trellis
// command: their names, arguments and flags, as etcdctl 3.4 spells them.
// Each body loads on first use, so `trellis sim` and `trellis server` never
// pay for loading gRPC and etcd's protos.

import type { Command } from 'commander';
import type { ClientCommandBody } from './client-context.js';
import { addClientOptions } from './client-options.js';
import { addDelOptions, addGetOptions, addPutOptions, parseWholeNumber } from './kv-requests.js';
import { addWatchOptions } from './watch-options.js';

function lazy<M, F>(load: () => Promise<M>, pick: (module: M) => ClientCommandBody<F>): (args: string[], flags: F, command: Command) => Promise<void> {
  return async (args, flags, command) => {
    const [{ clientAction }, module] = await Promise.all([import('./client-context.js'), load()]);
    await clientAction(pick(module))(args, flags, command);
  };
}

/** A leaf command taking its arguments as etcdctl does: any number, checked by the body with etcdctl's messages. */
function leaf(parent: Command, name: string, usage: string, description: string): Command {
  return addClientOptions(parent.command(name).usage(usage).description(description).argument('[args...]'));
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
  addGetOptions(leaf(program, 'get', '[options] <key> [range_end]', 'Gets the key or a range of keys')).action(lazy(kv, (m) => m.get));
  addPutOptions(leaf(program, 'put', '[options] <key> <value>  (<value> can also be given from stdin)', 'Puts the given key into the store')).action(lazy(kv, (m) => m.put));
  addDelOptions(leaf(program, 'del', '[options] <key> [range_end]', 'Removes the specified key or range of keys [key, range_end)')).action(lazy(kv, (m) => m.del));
  leaf(program, 'txn', '[options]', 'Txn processes all the requests in one transaction (compares, success and failure requests from stdin, each ended by an empty line)')
    .option('-i, --interactive', 'Input transaction in interactive mode')
    .action(lazy(txn, (m) => m.txn));
  addWatchOptions(leaf(program, 'watch', '[options] [key or prefix] [range_end] [--] [exec-command arg1 arg2 ...]', 'Watches events stream on keys or prefixes'))
    .action(lazy(watch, (m) => m.watch));
  leaf(program, 'compaction', '[options] <revision>', 'Compacts the event history in etcd')
    .alias('compact')
    .option('--physical', "'true' to wait for compaction to physically remove all old revisions")
    .action(lazy(maintenance, (m) => m.compaction));
  leaf(program, 'move-leader', '<transferee-member-id>', 'Transfers leadership to another etcd cluster member.').action(lazy(maintenance, (m) => m.moveLeader));
  leaf(program, 'defrag', '[options]', 'Defragments the storage of the etcd members with given endpoints')
    .option('--cluster', 'use all endpoints from the cluster member list')
    .action(lazy(maintenance, (m) => m.defrag));

  const leases = group(program, 'lease', 'Lease related commands');
  leaf(leases, 'grant', '<ttl>', 'Creates leases').action(lazy(lease, (m) => m.grant));
  leaf(leases, 'revoke', '<leaseID>', 'Revokes leases').action(lazy(lease, (m) => m.revoke));
  leaf(leases, 'timetolive', '<leaseID> [options]', 'Get lease information').option('--keys', 'Get keys attached to this lease').action(lazy(lease, (m) => m.timeToLive));
  leaf(leases, 'list', '', 'List all active leases').action(lazy(lease, (m) => m.list));
  leaf(leases, 'keep-alive', '[options] <leaseID>', 'Keeps leases alive (renew)')
    .option('--once', 'Resets the keep-alive time to its original value and exits immediately')
    .action(lazy(lease, (m) => m.keepAlive));

  const members = group(program, 'member', 'Membership related commands');
  leaf(members, 'add', '<memberName> [options]', 'Adds a member into the cluster')
    .option('--peer-urls <urls>', 'comma separated peer URLs for the new member.')
    .option('--learner', 'indicates if the new member is raft learner')
    .action(lazy(member, (m) => m.add));
  leaf(members, 'remove', '<memberID>', 'Removes a member from the cluster').action(lazy(member, (m) => m.remove));
  leaf(members, 'update', '<memberID> [options]', 'Updates a member in the cluster')
    .option('--peer-urls <urls>', 'comma separated peer URLs for the updated member.')
    .action(lazy(member, (m) => m.update));
  leaf(members, 'list', '', 'Lists all members in the cluster').action(lazy(member, (m) => m.list));
  leaf(members, 'promote', '<memberID>', 'Promotes a non-voting member in the cluster').action(lazy(member, (m) => m.promote));

  const endpoints = group(program, 'endpoint', 'Endpoint related commands');
  const cluster = (command: Command): Command => command.option('--cluster', 'use all endpoints from the cluster member list');
  cluster(leaf(endpoints, 'health', '', 'Checks the healthiness of endpoints specified in `--endpoints` flag')).action(lazy(endpoint, (m) => m.health));
  cluster(leaf(endpoints, 'status', '', 'Prints out the status of endpoints specified in `--endpoints` flag')).action(lazy(endpoint, (m) => m.status));
  cluster(leaf(endpoints, 'hashkv', '', 'Prints the KV history hash for each endpoint in --endpoints'))
    .option('--rev <revision>', 'maximum revision to hash (default: all revisions)', parseWholeNumber, 0)
    .action(lazy(endpoint, (m) => m.hashKv));

  const alarms = group(program, 'alarm', 'Alarm related commands');
  leaf(alarms, 'disarm', '', 'Disarms all alarms').action(lazy(maintenance, (m) => m.alarmDisarm));
  leaf(alarms, 'list', '', 'Lists all alarms').action(lazy(maintenance, (m) => m.alarmList));

  const snapshots = group(program, 'snapshot', 'Manages etcd node snapshots');
  leaf(snapshots, 'save', '<filename>', 'Stores an etcd node backend snapshot to a given file').action(lazy(snapshot, (m) => m.save));
  leaf(snapshots, 'status', '<filename>', 'Gets backend snapshot status of a given file').action(lazy(snapshot, (m) => m.status));
}
