// How a member that joins a running cluster learns who it is. `etcdctl
// member add` gave its peer URLs a member id on the leader; the new member
// knows only its own peer URLs and the other members' (from
// --initial-cluster). It asks each of them in turn, on their peer ports,
// "who am I?", and the first that knows answers with the cluster id, its
// member id and every member's node id and peer URLs. Only then can it open
// its channels, whose handshakes carry those ids.

import type { Clock } from '../runtime/clock.js';
import type { Timers } from '../runtime/timers.js';
import { encodeFrame } from './frame.js';
import { FramedConnection } from './framed-connection.js';
import { formatAddress, type Network, type PeerAddress } from './network.js';
import { decodeControlFrame, encodeDiscover, MalformedPeerFrame, type Discovery } from './wire.js';

export interface DiscoveryOptions {
  readonly network: Network;
  readonly clock: Clock;
  readonly timers: Timers;
  /** Each member asked gets this long to answer. */
  readonly timeoutMs: number;
  readonly maxFrameBytes: number;
}

/** Asks one member; resolves with its answer, or rejects naming why it gave none. */
export function askWhoIAm(address: PeerAddress, peerUrls: readonly string[], options: DiscoveryOptions): Promise<Discovery> {
  return new Promise((resolve, reject) => {
    const framed = new FramedConnection(options.network.dial(address), null, options.maxFrameBytes, options.clock);
    framed.markHandshaken();
    let settled = false;
    const finish = (outcome: { ok: true; value: Discovery } | { ok: false; why: string }): void => {
      if (settled) return;
      settled = true;
      options.timers.cancel(deadline);
      framed.close();
      if (outcome.ok) resolve(outcome.value);
      else reject(new Error(`${formatAddress(address)}: ${outcome.why}`));
    };
    const deadline = options.timers.schedule(options.timeoutMs, () => finish({ ok: false, why: `no answer within ${options.timeoutMs} ms` }));
    framed.listen({
      opened: () => framed.write(encodeFrame(encodeDiscover(peerUrls))),
      frame: (payload) => {
        try {
          const frame = decodeControlFrame(payload);
          if (frame.kind === 'discovered') return finish({ ok: true, value: frame.discovery });
          if (frame.kind === 'refuse') return finish({ ok: false, why: `refused: ${frame.text}` });
          finish({ ok: false, why: `answered with a ${frame.kind} frame` });
        } catch (error) {
          if (!(error instanceof MalformedPeerFrame)) throw error;
          finish({ ok: false, why: error.message });
        }
      },
      ended: (reason) => finish({ ok: false, why: reason }),
    });
  });
}

/**
 * Asks the members at `addresses`, one after another, until one knows this
 * member. Rejects with every member's reason when none does.
 */
export async function discoverSelf(addresses: readonly PeerAddress[], peerUrls: readonly string[], options: DiscoveryOptions): Promise<Discovery> {
  const reasons: string[] = [];
  for (const address of addresses) {
    try {
      const answer = await askWhoIAm(address, peerUrls, options);
      if (answer.self !== null) return answer;
      reasons.push(`${formatAddress(address)}: ${answer.text}`);
    } catch (error) {
      reasons.push(error instanceof Error ? error.message : String(error));
    }
  }
  throw new Error(`no member of the cluster knows a member with peer URLs ${peerUrls.join(',')}: ${reasons.join('; ')}`);
}
