// CPU time of a process from /proc/<pid>/stat: utime and stime (fields 14
// and 15, in clock ticks) cover every thread of the process. The command name
// (field 2) sits in parentheses and may itself hold spaces and parentheses,
// so fields are counted from the last ')'.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ProcCpuTicks {
  readonly pid: number;
  readonly utimeTicks: number;
  readonly stimeTicks: number;
}

export function parseProcStat(text: string): ProcCpuTicks {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open <= 0 || close < open) throw new Error(`not a /proc/<pid>/stat line: ${JSON.stringify(text.slice(0, 80))}`);
  const pid = Number(text.slice(0, open).trim());
  // After ")": field 3 (state) is at index 0, so field n is at index n - 3.
  const fields = text.slice(close + 1).trim().split(/\s+/);
  const utimeTicks = Number(fields[14 - 3]);
  const stimeTicks = Number(fields[15 - 3]);
  if (!Number.isSafeInteger(pid) || !Number.isSafeInteger(utimeTicks) || !Number.isSafeInteger(stimeTicks)) {
    throw new Error(`not a /proc/<pid>/stat line (pid, utime or stime is not a number): ${JSON.stringify(text.slice(0, 80))}`);
  }
  return { pid, utimeTicks, stimeTicks };
}

let cachedTicksPerSecond: number | undefined;

/** The kernel's USER_HZ, the unit of utime and stime (100 on Linux almost everywhere). */
export function clockTicksPerSecond(): number {
  if (cachedTicksPerSecond !== undefined) return cachedTicksPerSecond;
  try {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 5_000 }).trim());
    cachedTicksPerSecond = Number.isSafeInteger(value) && value > 0 ? value : 100;
  } catch {
    cachedTicksPerSecond = 100;
  }
  return cachedTicksPerSecond;
}

/** CPU-seconds (user + system) a live process has used so far; throws naming the pid if it is gone. */
export function cpuSecondsOf(pid: number): number {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    throw new Error(`process ${pid} is gone (cannot read /proc/${pid}/stat: ${(error as Error).message})`);
  }
  const ticks = parseProcStat(text);
  return (ticks.utimeTicks + ticks.stimeTicks) / clockTicksPerSecond();
}
