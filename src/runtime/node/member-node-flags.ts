// The Node flags a member process starts with. V8 fixes the size of its
// young generation when the process starts, so the flag goes on the command
// line: local-cluster, the benchmark and the fault tests spawn members with
// it, and the trellis command's first line (#!/usr/bin/env -S node ...) gives
// it to `trellis server` run from a shell.
//
// Why 8 MiB semi-spaces instead of V8's 16: a member allocates for every
// request and keeps little of it, so most of the young generation is garbage
// by the next scavenge, and three members' 32 MiB young generations are more
// than this machine's L3 cache (32 MiB, shared). Measured against the default
// in one run of `npm run bench -- etcd` (three rounds each; TRELLIS_B_NODE_ARGS
// gave trellis-b the flag): sequential puts 1.13x the throughput, p99 0.78x,
// CPU per put 0.87x; puts with 64 in flight 1.11x, p99 0.87x, CPU 0.90x;
// 256 in flight and watch within the noise. 4 MiB went too far: puts with 64
// in flight lost 13% (each scavenge copies the requests in flight, and there
// were four times as many).

/** Node's flag for the largest semi-space of V8's young generation, in MiB. */
export const memberSemiSpaceMiB = 8;

const semiSpaceFlag = /^--(max|min)[-_]semi[-_]space[-_]size\b/;

/**
 * The flags to start a member's node with: Trellis's young-generation size,
 * unless the caller's own flags set one, then the caller's flags.
 */
export function memberNodeFlags(callerFlags: readonly string[] = []): string[] {
  const callerChose = callerFlags.some((flag) => semiSpaceFlag.test(flag));
  return callerChose ? [...callerFlags] : [`--max-semi-space-size=${memberSemiSpaceMiB}`, ...callerFlags];
}
