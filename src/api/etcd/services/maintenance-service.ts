// etcd's Maintenance service: status, hashes, snapshot, alarms, leadership.

import type { ServerWritableStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { AlarmAction, AlarmMember, AlarmType } from '../backend.js';
import { grpcStatusOf } from '../etcd-errors.js';
import { toWireHeader } from '../kv-translation.js';
import { enumField, int64Field, safeIntField, toWireInt, toWireUint } from '../wire-values.js';
import { unary, type ServiceContext, type WireMessage } from './service-context.js';

const alarmTypes: readonly AlarmType[] = ['none', 'nospace', 'corrupt'];
const alarmActions: readonly AlarmAction[] = ['get', 'activate', 'deactivate'];

function toWireAlarm(alarm: AlarmMember): WireMessage {
  return { memberID: toWireUint(alarm.memberId), alarm: alarmTypes.indexOf(alarm.alarm) };
}

export function maintenanceService(context: ServiceContext): UntypedServiceImplementation {
  const { backend } = context;
  return {
    Status: unary(context, 'Status', async () => {
      const { header, body } = await backend.status();
      return {
        header: toWireHeader(header),
        version: body.version,
        dbSize: toWireInt(body.dbSizeBytes),
        leader: toWireUint(body.leader),
        raftIndex: toWireInt(body.raftIndex),
        raftTerm: toWireInt(body.raftTerm),
        raftAppliedIndex: toWireInt(body.raftAppliedIndex),
        errors: [...body.errors],
        dbSizeInUse: toWireInt(body.dbSizeInUseBytes),
        isLearner: body.isLearner,
      };
    }),
    HashKV: unary(context, 'HashKV', async (message) => {
      const { header, body } = await backend.hashKv(safeIntField(message['revision'], 'revision'));
      return { header: toWireHeader(header), hash: body.hash, compact_revision: toWireInt(body.compactRevision) };
    }),
    Hash: unary(context, 'Hash', async () => {
      const { header, body } = await backend.hash();
      return { header: toWireHeader(header), hash: body };
    }),
    Defragment: unary(context, 'Defragment', async () => {
      const { header } = await backend.defragment();
      return { header: toWireHeader(header) };
    }),
    Alarm: unary(context, 'Alarm', async (message) => {
      const action = enumField(message['action'], 'action', ['Get', 'Activate', 'Deactivate'], alarmActions);
      const alarm = enumField(message['alarm'], 'alarm', ['None', 'Nospace', 'Corrupt'], alarmTypes);
      const memberId = BigInt.asUintN(64, int64Field(message['memberID'], 'memberID'));
      const { header, body } = await backend.alarm(action, memberId, alarm);
      return { header: toWireHeader(header), alarms: body.map(toWireAlarm) };
    }),
    MoveLeader: unary(context, 'MoveLeader', async (message) => {
      const { header } = await backend.moveLeader(BigInt.asUintN(64, int64Field(message['targetID'], 'targetID')));
      return { header: toWireHeader(header) };
    }),
    Snapshot: (call: ServerWritableStream<WireMessage, WireMessage>) => {
      void snapshotStream(context, call);
    },
  };
}

/** Sends chunk after chunk, waiting for 'drain' whenever grpc-js buffers, so a slow reader holds one chunk at a time. */
async function snapshotStream(context: ServiceContext, call: ServerWritableStream<WireMessage, WireMessage>): Promise<void> {
  try {
    for await (const { header, body } of context.backend.snapshot()) {
      if (call.cancelled) return;
      const message = { header: toWireHeader(header), remaining_bytes: toWireInt(body.remainingBytes), blob: body.blob };
      if (!call.write(message)) await writable(call);
    }
    call.end();
  } catch (error) {
    const { code, details } = grpcStatusOf(error);
    call.emit('error', { code, details, message: details, name: 'EtcdError' });
  }
}

/** Resolves when grpc-js has room again, or the call is gone (then the loop sees call.cancelled or writes into the void). */
function writable(call: ServerWritableStream<WireMessage, WireMessage>): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      call.off('drain', done);
      call.off('cancelled', done);
      call.off('close', done);
      resolve();
    };
    call.on('drain', done);
    call.on('cancelled', done);
    call.on('close', done);
  });
}
