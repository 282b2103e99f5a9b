import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU accounting for a phase: this process's CPU time (user + system) and how busy the whole machine was. On a
 * shared machine the second number says how much a figure is worth: a phase that ran while other work kept the
 * cores busy measures the neighbours as much as the code.
 */
export interface CpuWindow {
  /** This process's CPU milliseconds since the window opened. */
  readonly processMs: number;
  /**
   * The database server's CPU milliseconds (postmaster and every backend, live or exited) since the window opened;
   * NaN when its processes are not on this machine. With the embedded server that is this benchmark's alone: with
   * the node figure, what each event cost in CPU, which the neighbours' load moves far less than a rate.
   */
  readonly serverMs: number;
  /** Share of all cores' time the machine spent busy (not idle or iowait), 0..1, Linux only. */
  readonly machineBusy: number;
  /** 1-minute load average when the window closed. */
  readonly load1: number;
}

let postmasterPid: number | undefined;

/** Counts the server whose postmaster has this pid in every later window (see {@link CpuWindow.serverMs}). */
export function watchServerCpu(pid: number | undefined): void {
  postmasterPid = pid;
}

/** The pid of the postmaster whose data directory this is, if it runs on this machine (first line of postmaster.pid). */
export function postmasterIn(dataDirectory: string): number | undefined {
  try {
    const pid = Number(readFileSync(`${dataDirectory}/postmaster.pid`, 'utf8').split('\n', 1)[0]);
    return Number.isInteger(pid) && procStat(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function openCpuWindow(): () => CpuWindow {
  const usage = process.cpuUsage();
  const machine = machineTicks();
  const server = serverTicks();
  return () => {
    const delta = process.cpuUsage(usage);
    const now = machineTicks();
    const total = now.total - machine.total;
    return {
      processMs: (delta.user + delta.system) / 1000,
      serverMs: ((serverTicks() - server) * 1000) / TICKS_PER_SECOND,
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

/** Linux's USER_HZ, which /proc/<pid>/stat counts in; 100 on every common configuration. */
const TICKS_PER_SECOND = 100;

function procStat(pid: number): { ppid: number; own: number; children: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces: state is field 3, ppid 4, utime 14.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const at = (n: number) => Number(fields[n - 3]);
    return { ppid: at(4), own: at(14) + at(15), children: at(16) + at(17) };
  } catch {
    return undefined;
  }
}

/** The postmaster's CPU ticks with its reaped children's, plus every live child's: the whole server's CPU so far. */
function serverTicks(): number {
  if (postmasterPid === undefined) return NaN;
  const master = procStat(postmasterPid);
  if (!master) return NaN;
  let ticks = master.own + master.children;
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === postmasterPid) continue;
    const stat = procStat(pid);
    if (stat?.ppid === postmasterPid) ticks += stat.own;
  }
  return ticks;
}
