import { readFileSync } from 'node:fs';

/**
 * CPU accounting for a phase: this process's CPU time (user + system) and how busy the whole machine was. On a
 * shared machine the second number says how much a figure is worth: a phase that ran while other work kept the
 * cores busy measures the neighbours as much as the code.
 */
export interface CpuWindow {
  /** This process's CPU milliseconds since the window opened. */
  readonly processMs: number;
  /** Share of all cores' time the machine spent busy (not idle or iowait), 0..1, Linux only. */
  readonly machineBusy: number;
  /** 1-minute load average when the window closed. */
  readonly load1: number;
}

export function openCpuWindow(): () => CpuWindow {
  const usage = process.cpuUsage();
  const machine = machineTicks();
  return () => {
    const delta = process.cpuUsage(usage);
    const now = machineTicks();
    const total = now.total - machine.total;
    return {
      processMs: (delta.user + delta.system) / 1000,
      machineBusy: total > 0 ? (now.busy - machine.busy) / total : NaN,
      load1: loadAverage(),
    };
  };
}

function machineTicks(): { busy: number; total: number } {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((sum, x) => sum + x, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: 0, total: 0 };
  }
}

function loadAverage(): number {
  try {
    return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    return NaN;
  }
}
