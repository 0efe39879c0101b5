// member list | add | remove | update | promote.

import { CliError, exitCodes, requestFailed } from './cli-error.js';
import type { ClientContext } from './client-context.js';
import type { Wire } from './connection.js';
import { showMemberChange, showMemberList, type MemberChange } from './cluster-display.js';
import { goQuote } from './go-format.js';
import { requireFormat } from './output.js';

/** A member id as etcdctl reads one: hexadecimal, an unsigned 64-bit integer. */
export function parseMemberId(text: string): bigint {
  if (!/^[0-9a-fA-F]{1,16}$/.test(text)) throw new CliError(`bad member ID arg ${JSON.stringify(text)}, expecting ID in Hex`, exitCodes.badArgs);
  return BigInt(`0x${text}`);
}

function memberIdArg(args: string[]): bigint {
  if (args.length !== 1) throw new CliError('member ID is not provided', exitCodes.badArgs);
  return parseMemberId(args[0]!);
}

function peerUrls(flag: string | undefined): string[] {
  if (flag === undefined || flag === '') throw new CliError('member peer urls not provided', exitCodes.badArgs);
  return flag.split(',');
}

async function change(context: ClientContext, kind: MemberChange, id: bigint, request: Wire): Promise<Wire> {
  const connection = await context.connection();
  const method = { add: 'MemberAdd', remove: 'MemberRemove', update: 'MemberUpdate', promote: 'MemberPromote' }[kind];
  const response = await connection.unary('Cluster', method, request).catch((error: unknown) => Promise.reject(requestFailed(error)));
  context.sink.out(showMemberChange(kind, context.settings.format, id, response));
  return response;
}

const changeFormats = ['simple', 'json', 'protobuf'] as const;

export async function list(context: ClientContext, args: string[]): Promise<void> {
  if (args.length !== 0) throw new CliError('member list command takes no arguments', exitCodes.badArgs);
  requireFormat(context.settings.format, ['simple', 'json', 'table', 'fields', 'protobuf']);
  const connection = await context.connection();
  const response = await connection.unary('Cluster', 'MemberList', {}).catch((error: unknown) => Promise.reject(requestFailed(error)));
  context.sink.out(showMemberList(context.settings.format, response));
}

export async function add(context: ClientContext, args: string[], flags: { peerUrls?: string; learner?: boolean }): Promise<void> {
  if (args.length < 1) throw new CliError('member name not provided', exitCodes.badArgs);
  if (args.length > 1) {
    const hints = args.filter((a) => a.toLowerCase().startsWith('http')).map((a) => `, did you mean --peer-urls=${a}`);
    throw new CliError(`too many arguments${hints.join('')}`, exitCodes.badArgs);
  }
  const urls = peerUrls(flags.peerUrls);
  requireFormat(context.settings.format, changeFormats);
  const name = args[0]!;
  const response = await change(context, 'add', 0n, { peerURLs: urls, isLearner: flags.learner === true });
  if (context.settings.format !== 'simple') return;
  // What the new member's etcd needs to join, as etcdctl prints it.
  const newId = String(response['member']?.['ID'] ?? '');
  const initialCluster = ((response['members'] ?? []) as Wire[]).flatMap((member) =>
    ((member['peerURLs'] ?? []) as string[]).map((url) => `${String(member['ID']) === newId ? name : String(member['name'])}=${url}`),
  );
  context.sink.out(
    `\nETCD_NAME=${goQuote(name)}\nETCD_INITIAL_CLUSTER=${goQuote(initialCluster.join(','))}\n` +
      `ETCD_INITIAL_ADVERTISE_PEER_URLS=${goQuote(flags.peerUrls!)}\nETCD_INITIAL_CLUSTER_STATE="existing"\n`,
  );
}

export async function remove(context: ClientContext, args: string[]): Promise<void> {
  const id = memberIdArg(args);
  requireFormat(context.settings.format, changeFormats);
  await change(context, 'remove', id, { ID: id.toString() });
}

export async function update(context: ClientContext, args: string[], flags: { peerUrls?: string }): Promise<void> {
  const id = memberIdArg(args);
  const urls = peerUrls(flags.peerUrls);
  requireFormat(context.settings.format, changeFormats);
  await change(context, 'update', id, { ID: id.toString(), peerURLs: urls });
}

export async function promote(context: ClientContext, args: string[]): Promise<void> {
  const id = memberIdArg(args);
  requireFormat(context.settings.format, changeFormats);
  await change(context, 'promote', id, { ID: id.toString() });
}
