// The lease client: grants a lease, attaches one key to it, then reads the
// key until it is gone or the lease's time is well past, sometimes keeping
// the lease alive once and sometimes revoking it. The reads and the put go
// into the history like any other request; the grants, keep-alives and
// revokes go into lease records, from which the checks know when the key's
// deletion was allowed (never before the last grant or keep-alive call plus
// the TTL) and which pending deletion stands for the expiry in the model.

import type { Etcd3 } from 'etcd3';
import type { MvccInput } from '../check/index.js';
import type { Random } from '../runtime/random.js';
import { deadline, errorText, isDefiniteFailure } from './clients.js';
import type { LeaseRecord } from './history.js';
import { send, type KvWorkloadContext } from './kv-workload.js';

export const leasePrefix = 'l/';

export function leaseKey(leaseId: string): string {
  return `${leasePrefix}${BigInt(leaseId).toString(16)}/k`;
}

export interface LeaseWorkloadOptions {
  readonly maxLeases: number;
  readonly minTtlSeconds: number;
  readonly maxTtlSeconds: number;
  readonly readEveryMs: number;
}

export class LeaseClient {
  private leases = 0;

  constructor(
    readonly id: string,
    readonly host: string,
    private readonly etcd: Etcd3,
    private readonly random: Random,
    private readonly ctx: KvWorkloadContext,
    private readonly options: LeaseWorkloadOptions,
  ) {}

  async run(): Promise<void> {
    while (!this.ctx.stopped() && this.leases < this.options.maxLeases && !this.ctx.recorder.full) {
      this.leases++;
      await this.oneLease();
    }
  }

  private async oneLease(): Promise<void> {
    const { recorder, now } = this.ctx;
    const requestedTtl = this.random.nextInt(this.options.minTtlSeconds, this.options.maxTtlSeconds + 1);
    const grantCallMs = now();
    let granted: { ID: string; TTL: string };
    try {
      granted = await this.etcd.leaseClient.leaseGrant({ TTL: requestedTtl }, deadline(this.ctx.requestTimeoutMs));
    } catch {
      await sleep(200);
      return;
    }
    const record: LeaseRecord = {
      leaseId: granted.ID,
      key: leaseKey(granted.ID),
      grantCallMs,
      grantReturnMs: now(),
      ttlSeconds: Number(granted.TTL),
      keepAlives: [],
      revokeCallsMs: [],
    };
    recorder.leases.push(record);
    const put: MvccInput = { kind: 'put', key: record.key, value: `${this.id}.${granted.ID}` };
    const op = recorder.invoke(this.id, this.host, put);
    record.putOpId = op.id;
    try {
      recorder.complete(op, await send(this.etcd, put, this.ctx.requestTimeoutMs, false, granted.ID));
    } catch (error) {
      recorder.fail(op, errorText(error), isDefiniteFailure(error));
      return;
    }
    // Half the leases are left to expire; a quarter kept alive once; a quarter revoked.
    const plan = this.random.nextInt(0, 4);
    const actAtMs = grantCallMs + this.random.nextInt(300, Math.max(400, record.ttlSeconds * 800));
    let acted = false;
    const giveUpMs = grantCallMs + (record.ttlSeconds + 4) * 1_000;
    while (!this.ctx.stopped() && now() < giveUpMs && !recorder.full) {
      if (!acted && now() >= actAtMs && plan >= 2) {
        acted = true;
        if (plan === 2) await this.keepAliveOnce(record);
        else await this.revoke(record);
      }
      const read = recorder.invoke(this.id, this.host, { kind: 'range', key: record.key });
      try {
        const output = await send(this.etcd, read.input, this.ctx.requestTimeoutMs, false, undefined);
        recorder.complete(read, output);
        if (output.kind === 'range' && output.kvs.length === 0) return;
      } catch (error) {
        recorder.fail(read, errorText(error), false);
      }
      await sleep(this.options.readEveryMs);
    }
  }

  private async keepAliveOnce(record: LeaseRecord): Promise<void> {
    const callMs = this.ctx.now();
    try {
      const stream = await this.etcd.leaseClient.leaseKeepAlive(deadline(this.ctx.requestTimeoutMs));
      const response = await new Promise<{ TTL: string }>((resolve, reject) => {
        stream.on('data', resolve);
        stream.on('error', reject);
        stream.on('end', () => reject(new Error('keep-alive stream ended')));
        stream.write({ ID: record.leaseId });
      });
      stream.end();
      const ttlSeconds = Number(response.TTL);
      if (ttlSeconds > 0) record.keepAlives.push({ callMs, ttlSeconds });
    } catch {
      // A failed keep-alive may still have reached the leader: that only makes expiry later, which is allowed.
    }
  }

  private async revoke(record: LeaseRecord): Promise<void> {
    record.revokeCallsMs.push(this.ctx.now());
    try {
      await this.etcd.leaseClient.leaseRevoke({ ID: record.leaseId }, deadline(this.ctx.requestTimeoutMs));
    } catch {
      // Revoked or not, the key's deletion from here on is allowed.
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
