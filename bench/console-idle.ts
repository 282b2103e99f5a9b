/**
 * `npm run bench:console`: what an open console costs an idle app (issue 16: under 1 % of a core more).
 *
 * Starts `npm start`'s program on the embedded PostgreSQL in a scratch DATA_DIR, waits until the demo data is seeded
 * and the app is idle, then alternates ROUNDS times between a window of PHASE_SECS with no browser and one with a
 * headless Chromium showing the console's live events page (which asks every 2 s). In each window it sums the CPU time
 * of the app's whole process tree (node, and the PostgreSQL server with its backends, which the app starts), from
 * /proc, and prints the CPU share of one core per window and the difference. Chromium's own CPU is the viewer's, not
 * the app's, and is not counted.
 * Environment: ROUNDS (3), PHASE_SECS (30), CHROMIUM_PATH (else the OS package's Chromium).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { chromium } from 'playwright-core';
import { CONSOLE_LINK, startConsoleApp } from '../scripts/console-app.ts';
import { CHROMIUM_ARGS, findChromium, NO_CHROMIUM_MESSAGE } from '../test/support/chromium.ts';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const PHASE_SECS = Number(process.env.PHASE_SECS ?? 30);
const TICKS = 100; // USER_HZ on Linux

/** CPU seconds used so far by `pid` and every process under it, including their reaped children. */
function treeCpuSeconds(pid: number): number {
  const parents = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(entry), Number(fields[1]));
      ticks.set(Number(entry), Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]));
    } catch {
      // gone meanwhile
    }
  }
  const inTree = (candidate: number): boolean => {
    for (let at: number | undefined = candidate; at !== undefined && at > 1; at = parents.get(at)) if (at === pid) return true;
    return false;
  };
  let total = 0;
  for (const [candidate, used] of ticks) if (inTree(candidate)) total += used;
  return total / TICKS;
}

async function windowShare(pid: number): Promise<number> {
  const before = treeCpuSeconds(pid);
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, PHASE_SECS * 1000));
  return (treeCpuSeconds(pid) - before) / ((performance.now() - started) / 1000);
}

const executablePath = findChromium();
if (!executablePath) throw new Error(`bench:console: ${NO_CHROMIUM_MESSAGE}`);
const app = await startConsoleApp('console-idle');
try {
  const [, link] = await app.waitFor(CONSOLE_LINK);
  // Start-up work (migrations, seeding, the first event deliveries) settles before the first window.
  await new Promise((resolve) => setTimeout(resolve, 10_000));
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  const page = await browser.newPage();
  await page.goto(link!);
  await page.locator('svg.map').waitFor();
  const base = new URL(link!).origin;
  // Counted to show that the page really asks while the window runs.
  let asked = 0;
  page.on('request', (request) => void (request.url().includes('/admin/') && asked++));
  const rows: Array<{ idle: number; open: number }> = [];
  for (let round = 1; round <= ROUNDS; round++) {
    await page.goto('about:blank');
    const idle = await windowShare(app.pid);
    await page.goto(`${base}/console/#/events`);
    await page.locator('[data-subscription]').first().waitFor();
    asked = 0;
    const open = await windowShare(app.pid);
    const requests = asked;
    rows.push({ idle, open });
    process.stdout.write(`round ${round}: idle ${(idle * 100).toFixed(2)} % of a core, console open ${(open * 100).toFixed(2)} %, difference ${((open - idle) * 100).toFixed(2)} points, ${requests} API requests from the page (load ${loadavg().map((value) => value.toFixed(2)).join(' ')})\n`);
  }
  await browser.close();
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const difference = median(rows.map((row) => row.open - row.idle));
  process.stdout.write(`console idle cost: median ${(difference * 100).toFixed(2)} % of a core more with the events page open (target < 1 %), ${ROUNDS} rounds of ${PHASE_SECS} s\n`);
} finally {
  await app.stop();
}
