// `trellis local-cluster` (what `npm start` runs): a cluster of real member
// processes on 127.0.0.1, with data under ./data, as etcd's Procfile starts
// one for development. It checks every port first and names any that is
// taken, prints where each member listens and an etcdctl line to paste,
// prefixes each member's log lines with its name, and on Ctrl-C stops the
// members and waits for them. Starting again resumes from ./data.

import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { parsePositiveInteger } from './parse.js';
import { memberNodeFlags } from '../runtime/node/member-node-flags.js';

interface LocalMember {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly metricsPort: number;
}

/** etcd's Procfile layout: 2379/2380, 22379/22380, 32379/32380, ... (metrics on the port after the peer port). */
export function localMembers(count: number, basePort: number): LocalMember[] {
  return Array.from({ length: count }, (_, i) => {
    const offset = i === 0 ? 0 : (i + 1) * 10_000;
    return { name: `n${i + 1}`, clientPort: basePort + offset, peerPort: basePort + 1 + offset, metricsPort: basePort + 2 + offset };
  });
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function waitForPort(port: number, deadlineMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const attempt = (): void => {
      const server = createServer();
      server.once('error', () => resolve(true));
      server.listen(port, '127.0.0.1', () => server.close(() => {
        if (Date.now() > deadlineMs) resolve(false);
        else setTimeout(attempt, 100);
      }));
    };
    attempt();
  });
}

export function registerLocalClusterCommand(program: Command): void {
  program
    .command('local-cluster')
    .description('run a local cluster of member processes on 127.0.0.1 with data under ./data (npm start)')
    .option('--members <n>', 'how many members', parsePositiveInteger, 3)
    .option('--data-dir <path>', 'where the members keep their data', 'data')
    .option('--base-port <port>', 'first member\'s client port; peers and metrics use the next two; member k adds (k+1)*10000', parsePositiveInteger, 2379)
    .option('--log-level <level>', 'members\' log level', 'warn')
    .action(async (flags: { members: number; dataDir: string; basePort: number; logLevel: string }) => {
      if (flags.members > 7) throw new Error(`--members ${flags.members}: a local cluster has at most 7 members`);
      const members = localMembers(flags.members, flags.basePort);
      if (members[members.length - 1]!.metricsPort > 65_535) throw new Error(`--base-port ${flags.basePort} leaves no room for ${flags.members} members below port 65535`);
      for (const member of members) {
        for (const [what, port] of [['client', member.clientPort], ['peer', member.peerPort], ['metrics', member.metricsPort]] as const) {
          if (!(await portFree(port))) {
            throw new Error(`port ${port} (${what} port of ${member.name}) is taken by another process: stop it, or choose other ports with --base-port`);
          }
        }
      }
      const main = fileURLToPath(new URL('./main.js', import.meta.url));
      const initialCluster = members.map((m) => `${m.name}=http://127.0.0.1:${m.peerPort}`).join(',');
      const children = new Map<string, ChildProcess>();
      let stopping = false;
      for (const member of members) {
        const child = spawn(process.execPath, [...memberNodeFlags(), main, 'server',
          '--name', member.name, '--data-dir', `${flags.dataDir}/${member.name}`,
          '--listen-client-urls', `http://127.0.0.1:${member.clientPort}`, '--advertise-client-urls', `http://127.0.0.1:${member.clientPort}`,
          '--listen-peer-urls', `http://127.0.0.1:${member.peerPort}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${member.peerPort}`,
          '--listen-metrics-urls', `http://127.0.0.1:${member.metricsPort}`,
          '--initial-cluster', initialCluster, '--initial-cluster-state', 'new', '--log-level', flags.logLevel,
        ], { stdio: ['ignore', 'pipe', 'pipe'] });
        children.set(member.name, child);
        for (const stream of [child.stdout!, child.stderr!]) {
          createInterface({ input: stream }).on('line', (line) => process.stderr.write(`${member.name} | ${line}\n`));
        }
        child.on('exit', (code, signal) => {
          children.delete(member.name);
          if (!stopping) process.stderr.write(`trellis: member ${member.name} exited (${signal ?? `code ${code}`}); the others keep running\n`);
          if (children.size === 0) process.exit(stopping ? 0 : 1);
        });
      }
      const stop = (): void => {
        if (stopping) return;
        stopping = true;
        process.stderr.write('\ntrellis: stopping the members...\n');
        for (const child of children.values()) child.kill('SIGTERM');
        setTimeout(() => {
          for (const child of children.values()) child.kill('SIGKILL');
        }, 10_000).unref();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      const deadline = Date.now() + 30_000;
      for (const member of members) {
        if (!(await waitForPort(member.clientPort, deadline)) && !stopping) {
          stop();
          throw new Error(`member ${member.name} did not open its client port ${member.clientPort} within 30 s (see its log lines above)`);
        }
      }
      if (stopping) return;
      const endpoints = members.map((m) => `127.0.0.1:${m.clientPort}`).join(',');
      const lines = [
        '',
        `Trellis: ${members.length} members running, data under ${isAbsolute(flags.dataDir) || flags.dataDir.startsWith('.') ? flags.dataDir : `./${flags.dataDir}`}`,
        ...members.map((m) => `  ${m.name}  client http://127.0.0.1:${m.clientPort}  peer http://127.0.0.1:${m.peerPort}  metrics http://127.0.0.1:${m.metricsPort}/metrics`),
        '',
        'Try it:',
        `  etcdctl --endpoints=${endpoints} put boston 10`,
        `  etcdctl --endpoints=${endpoints} endpoint status -w table`,
        `  npx trellis get boston --endpoints=${endpoints}`,
        '',
        'Ctrl-C stops the cluster; npm start again resumes from the data.',
        '',
      ];
      process.stdout.write(lines.join('\n'));
      await new Promise<never>(() => {});
    });
}
