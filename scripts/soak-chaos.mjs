// A chaos soak: many longer runs in a row with a progress bar, then a summary
// table (verdicts, requests, faults per kind, write unavailability after
// leader kills as p50/p99). Arguments pass through to `trellis chaos --soak`.
//
//   node scripts/soak-chaos.mjs --system etcd --runs 20 --nodes both --duration-s 120 --faults all
//
// Needs a build (npm run build) and root for netns, tmpfs and iptables faults.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const main = new URL('../dist/src/cli/main.js', import.meta.url).pathname;
if (!existsSync(main)) {
  console.error(`soak-chaos: ${main} is missing: run npm run build first`);
  process.exit(1);
}
const args = process.argv.slice(2);
const withDefaults = [
  ...(args.includes('--runs') ? [] : ['--runs', '20']),
  ...(args.includes('--nodes') ? [] : ['--nodes', 'both']),
  ...args,
];
const result = spawnSync(process.execPath, [main, 'chaos', '--soak', ...withDefaults], { stdio: 'inherit' });
process.exit(result.status ?? 1);
