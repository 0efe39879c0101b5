// The scripted session both etcdctl and trellis run: every command group of
// issue 5 in every output format etcdctl offers for it, and the failures
// etcdctl reports with its own wording. The story: widget counts for
// boston, philadelphia, london and pune.

import { join } from 'node:path';
import { Connection } from '../../../src/cli/client/connection.js';
import { parseEndpoint } from '../../../src/cli/client/endpoints.js';
import type { Step } from './session.js';

/** Raises the NOSPACE alarm on the member, as its quota would when full. */
async function raiseNoSpaceAlarm(endpoint: string): Promise<void> {
  const connection = await Connection.dial([parseEndpoint(endpoint)], 5_000, 5_000);
  try {
    const status = await connection.unary('Maintenance', 'Status', {});
    await connection.unary('Maintenance', 'Alarm', { action: 1, memberID: status['header']['member_id'], alarm: 1 });
  } finally {
    connection.close();
  }
}

const txnSucceeds = 'value("boston") = "11"\n\nput boston 12\nput pune 5\n\nget london\n\n';
const txnFails = 'mod("london") > "100"\n\nput boston 13\n\nget london\nget philadelphia\n\n';
const txnMixed = 'version("boston") = "3"\ncreate("pune") > "1"\nval("missing") != "x"\n\ndel pu --prefix --prev-kv\nget "" --prefix --keys-only\n\nput never 1\n\n';
const txnTooMany = `\n${Array.from({ length: 129 }, (_, i) => `put widget${i} 1`).join('\n')}\n\n\n`;
const txnDuplicate = '\nput boston 1\nput boston 2\n\n\n';

export const sessionSteps: readonly Step[] = [
  { title: 'put boston', args: ['put', 'boston', '10'] },
  { title: 'put philadelphia', args: ['put', 'philadelphia', '7'] },
  { title: 'put london', args: ['put', 'london', '3'] },
  { title: 'put pune from stdin', args: ['put', 'pune'], stdin: '4' },
  { title: 'put with prev-kv', args: ['put', 'boston', '11', '--prev-kv'] },
  { title: 'put with prev-kv as json', args: ['put', 'london', '3', '--prev-kv', '-w', 'json'] },
  { title: 'put with prev-kv as fields', args: ['put', 'london', '3', '--prev-kv', '-w', 'fields'] },
  { title: 'get one key', args: ['get', 'boston'] },
  { title: 'get everything', args: ['get', '', '--prefix'] },
  { title: 'get a range', args: ['get', 'b', 'p'] },
  { title: 'get prefix keys-only', args: ['get', 'p', '--prefix', '--keys-only'] },
  { title: 'get with limit', args: ['get', '', '--prefix', '--limit=2'] },
  { title: 'get with limit as json (more and count)', args: ['get', '', '--prefix', '--limit=2', '-w', 'json'] },
  { title: 'get sorted by value descending', args: ['get', '', '--prefix', '--sort-by=VALUE', '--order=DESCEND'] },
  { title: 'get sorted by version', args: ['get', '', '--prefix', '--sort-by=version'] },
  { title: 'get sorted by create, values only', args: ['get', '', '--prefix', '--sort-by=CREATE', '--order=ASCEND', '--print-value-only'] },
  { title: 'get sorted by modify descending as json', args: ['get', '', '--prefix', '--sort-by=MODIFY', '--order=DESCEND', '-w', 'json'] },
  { title: 'get at an old revision', args: ['get', 'boston', '--rev=2'] },
  { title: 'get from key', args: ['get', 'l', '--from-key'] },
  { title: 'get as json', args: ['get', '', '--prefix', '-w', 'json'] },
  { title: 'get as fields', args: ['get', 'boston', '-w', 'fields'] },
  { title: 'get as protobuf', args: ['get', '', '--prefix', '-w', 'protobuf'] },
  { title: 'get as hex', args: ['get', 'pune', '--hex'] },
  { title: 'get a missing key', args: ['get', 'madrid'] },
  { title: 'get a missing key as json', args: ['get', 'madrid', '-w', 'json'] },
  { title: 'get a future revision', args: ['get', 'boston', '--rev=1000'] },
  { title: 'get serializable', args: ['get', 'pune', '--consistency=s'] },
  { title: 'get with no key', args: ['get'] },
  { title: 'get with prefix and from-key', args: ['get', 'a', '--prefix', '--from-key'] },
  { title: 'get a range with prefix', args: ['get', 'a', 'b', '--prefix'] },
  { title: 'txn that succeeds', args: ['txn'], stdin: txnSucceeds },
  { title: 'txn that fails, as json', args: ['txn', '-w', 'json'], stdin: txnFails },
  { title: 'txn that fails, as fields', args: ['txn', '-w', 'fields'], stdin: txnFails },
  { title: 'txn interactive, every compare target', args: ['txn', '-i'], stdin: txnMixed },
  { title: 'txn with too many operations', args: ['txn'], stdin: txnTooMany },
  { title: 'txn with a duplicate key', args: ['txn'], stdin: txnDuplicate },
  { title: 'txn with an argument', args: ['txn', 'boston'] },
  { title: 'put with no key', args: ['put'] },
  { title: 'put with ignore-value and a value', args: ['put', 'boston', '1', '--ignore-value'] },
  { title: 'put ignoring the value', args: ['put', 'london', '--ignore-value', '--prev-kv'] },
  { title: 'delete with prev-kv', args: ['del', 'london', '--prev-kv'] },
  { title: 'delete a prefix with prev-kv', args: ['del', 'p', '--prefix', '--prev-kv'] },
  { title: 'delete a missing key', args: ['del', 'madrid'] },
  { title: 'delete a range as json', args: ['del', 'a', 'b', '-w', 'json'] },
  { title: 'delete with no key', args: ['del'] },
  {
    title: 'lease grant',
    args: ['lease', 'grant', '600'],
    capture: (stdout, vars) => {
      vars.lease = /lease ([0-9a-f]+) granted/.exec(stdout)?.[1] ?? 'none';
    },
  },
  { title: 'put with a lease', args: (v) => ['put', '--lease=' + v.lease, 'pune', '6'] },
  { title: 'put with a lease that is not hex', args: ['put', '--lease=xyz', 'pune', '6'], trellisSays: /^Error: bad lease ID "xyz", expecting ID in Hex$/ },
  { title: 'lease timetolive with keys', args: (v) => ['lease', 'timetolive', '--keys', v.lease] },
  { title: 'lease timetolive as json', args: (v) => ['lease', 'timetolive', v.lease, '-w', 'json'] },
  { title: 'lease timetolive with keys as json', args: (v) => ['lease', 'timetolive', v.lease, '--keys', '-w', 'json'] },
  { title: 'lease list', args: ['lease', 'list'] },
  { title: 'lease list as json', args: ['lease', 'list', '-w', 'json'] },
  { title: 'lease keep-alive once', args: (v) => ['lease', 'keep-alive', '--once', v.lease] },
  { title: 'lease keep-alive once as json', args: (v) => ['lease', 'keep-alive', '--once', v.lease, '-w', 'json'] },
  { title: 'lease keep-alive until revoked', args: (v) => ['lease', 'keep-alive', v.lease], meanwhile: { when: /keepalived/, then: (v) => ['lease', 'revoke', v.lease] } },
  { title: 'the leased key went with its lease', args: ['get', 'pune'] },
  { title: 'lease revoke again', args: (v) => ['lease', 'revoke', v.lease] },
  { title: 'lease keep-alive once of a revoked lease', args: (v) => ['lease', 'keep-alive', '--once', v.lease] },
  { title: 'lease timetolive after revoke', args: (v) => ['lease', 'timetolive', v.lease] },
  { title: 'lease list when empty', args: ['lease', 'list'] },
  { title: 'lease list when empty as json', args: ['lease', 'list', '-w', 'json'] },
  {
    title: 'lease grant as json',
    args: ['lease', 'grant', '300', '-w', 'json'],
    capture: (stdout, vars) => {
      const id = /"ID":(\d+)/.exec(stdout)?.[1];
      if (id !== undefined) vars.otherLeases.push(BigInt(id).toString(16));
    },
  },
  { title: 'lease revoke as json', args: (v) => ['lease', 'revoke', v.otherLeases[0] ?? 'none', '-w', 'json'] },
  { title: 'lease revoke of a lease that never was', args: ['lease', 'revoke', '2'] },
  { title: 'watch history with prev-kv', args: ['watch', 'b', '--prefix', '--rev=1', '--prev-kv'], sentinel: { key: 'bristol', value: 'end', before: true } },
  { title: 'watch a key as json', args: ['watch', 'philadelphia', '--rev=3', '-w', 'json'], sentinel: { key: 'philadelphia', value: 'end', before: true } },
  { title: 'watch a range as fields', args: ['watch', 'london', 'm', '--rev=4', '-w', 'fields'], sentinel: { key: 'lyon', value: 'end', before: true } },
  {
    title: 'watch running a command per event',
    args: ['watch', 'lyon', '--rev=2', '--', 'printenv', 'ETCD_WATCH_KEY'],
    // Two puts of lyon so far: stop once the command has run for both.
    sentinel: { key: 'lyon', value: 'end', before: true, until: /("lyon"\n){2}/ },
  },
  {
    title: 'get the current revision',
    args: ['get', 'boston', '-w', 'json'],
    capture: (stdout, vars) => {
      vars.revision = /"revision":(\d+)/.exec(stdout)?.[1] ?? '0';
    },
  },
  { title: 'watch from a future revision', args: (v) => ['watch', 'london', `--rev=${Number(v.revision) + 1}`], sentinel: { key: 'london', value: '9' } },
  { title: 'watch with a range and a prefix', args: ['watch', 'a', 'b', '--prefix'] },
  { title: 'compaction', args: ['compaction', '5'] },
  { title: 'get a compacted revision', args: ['get', 'boston', '--rev=2'] },
  { title: 'watch a compacted revision', args: ['watch', 'boston', '--rev=2'] },
  { title: 'watch a compacted revision as json', args: ['watch', 'boston', '--rev=2', '-w', 'json'] },
  { title: 'compaction again at the same revision', args: ['compaction', '5'] },
  { title: 'compaction with no revision', args: ['compaction'] },
  {
    title: 'member list',
    args: ['member', 'list'],
    capture: (stdout, vars) => {
      vars.memberId = /^([0-9a-f]+),/.exec(stdout)?.[1] ?? '0';
    },
  },
  { title: 'member list as json', args: ['member', 'list', '-w', 'json'] },
  { title: 'member list as table', args: ['member', 'list', '-w', 'table'] },
  { title: 'member list as fields', args: ['member', 'list', '-w', 'fields'] },
  { title: 'member update to the same peer URL', args: (v) => ['member', 'update', v.memberId, '--peer-urls=http://127.0.0.1:2380'] },
  { title: 'member update without peer URLs', args: (v) => ['member', 'update', v.memberId] },
  { title: 'member add without a name', args: ['member', 'add'] },
  { title: 'member add without peer URLs', args: ['member', 'add', 'saturn'] },
  { title: 'member remove of an unknown member', args: ['member', 'remove', '1234'] },
  { title: 'member remove with no id', args: ['member', 'remove'] },
  { title: 'member promote of a voting member', args: (v) => ['member', 'promote', v.memberId] },
  { title: 'endpoint status', args: ['endpoint', 'status'] },
  { title: 'endpoint status as json', args: ['endpoint', 'status', '-w', 'json'] },
  { title: 'endpoint status as table', args: ['endpoint', 'status', '-w', 'table'] },
  { title: 'endpoint status as fields', args: ['endpoint', 'status', '-w', 'fields'] },
  { title: 'endpoint health', args: ['endpoint', 'health'] },
  { title: 'endpoint health as json', args: ['endpoint', 'health', '-w', 'json'] },
  { title: 'endpoint health as table', args: ['endpoint', 'health', '-w', 'table'] },
  { title: 'endpoint hashkv', args: ['endpoint', 'hashkv'] },
  { title: 'endpoint hashkv as json', args: ['endpoint', 'hashkv', '-w', 'json'] },
  { title: 'endpoint hashkv as table', args: ['endpoint', 'hashkv', '-w', 'table'] },
  { title: 'endpoint hashkv at a revision', args: ['endpoint', 'hashkv', '--rev=6'] },
  { title: 'move-leader to itself', args: (v) => ['move-leader', v.memberId] },
  { title: 'move-leader to itself as json', args: (v) => ['move-leader', v.memberId, '-w', 'json'] },
  { title: 'move-leader to a stranger', args: ['move-leader', '1234'] },
  { title: 'snapshot save', args: (v) => ['snapshot', 'save', join(v.workDir, 'snapshot.db')] },
  { title: 'snapshot save with no file', args: ['snapshot', 'save'] },
  { title: 'alarm list', args: ['alarm', 'list'] },
  { title: 'alarm list as json', args: ['alarm', 'list', '-w', 'json'] },
  { title: 'alarm disarm', args: ['alarm', 'disarm'] },
  { title: 'defrag', args: ['defrag'] },
  { title: 'alarm list with a NOSPACE alarm', args: ['alarm', 'list'], prepare: raiseNoSpaceAlarm },
  { title: 'alarm list with a NOSPACE alarm as json', args: ['alarm', 'list', '-w', 'json'] },
  { title: 'alarm list with a NOSPACE alarm as fields', args: ['alarm', 'list', '-w', 'fields'] },
  { title: 'endpoint status with an alarm, wrapped in a table', args: ['endpoint', 'status', '-w', 'table'] },
  { title: 'endpoint status with an alarm', args: ['endpoint', 'status'] },
  { title: 'a put refused for want of space', args: ['put', 'boston', '14'] },
  { title: 'alarm disarm as json', args: ['alarm', 'disarm', '-w', 'json'] },
  { title: 'alarm disarm with nothing to disarm', args: ['alarm', 'disarm'] },
  { title: 'a put once the alarm is gone', args: ['put', 'boston', '14'] },
  { title: 'an output format that does not exist', args: ['get', 'boston', '-w', 'yaml'], trellisSays: /^Error: unsupported output format "yaml": choose one of simple, json, table, fields, protobuf$/ },
  // Last, the steps after which the two servers may differ. etcdctl sends this get and only then finds it
  // cannot print the answer as a table; trellis refuses before sending (so a put would not be applied either).
  // A read consumes a log index on a Trellis member, so the two servers' indexes part here.
  { title: 'get as table', args: ['get', 'boston', '-w', 'table'] },
  // However a server treats an oversized request, the steps before cannot depend on it.
  { title: 'put a value from stdin that is too large for a request', args: ['put', 'boston'], stdin: 'x'.repeat(1_600_000) },
];
