/**
 * `npm run docs:console`: refreshes the console's screenshots in docs/console/ (map, module page, events, trace), as a
 * newcomer would see them on a fresh `npm start`: the program runs with the embedded PostgreSQL in a scratch DATA_DIR,
 * the page is signed in through the start-up link, one demo order is placed, and a Chromium from the OS packages
 * (CHROMIUM_PATH, else /usr/bin/chromium) takes the pictures through playwright-core.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { buildConsole } from './build-console.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'docs', 'console');
const executablePath = process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((candidate) => existsSync(candidate));
if (!executablePath) throw new Error('docs:console needs Chromium: apt-get install -y chromium (or set CHROMIUM_PATH)');

await buildConsole({ ifStale: true });
const scratch = await mkdtemp(path.join(tmpdir(), 'seams-console-shots-'));
const child = spawn(process.execPath, ['--import', './src/telemetry.ts', 'src/main.ts'], {
  cwd: root,
  env: { ...process.env, PORT: '0', DATA_DIR: scratch, LOG_LEVEL: 'warn', DATABASE_URL: '' },
  stdio: ['ignore', 'ignore', 'pipe'],
});
let stderr = '';
child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
const waitFor = async (pattern: RegExp, ms = 180_000) => {
  const until = Date.now() + ms;
  for (;;) {
    const match = pattern.exec(stderr);
    if (match) return match;
    if (Date.now() > until || child.exitCode !== null) throw new Error(`the app did not print ${pattern}:\n${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
};

try {
  const [, link] = await waitFor(/Console \(signs you in as the local admin, once\): (\S+)/);
  const [, customer] = await waitFor(/CUSTOMER_TOKEN=(\S+)/);
  const [, productId] = await waitFor(/"productId":"([0-9a-f-]+)"/);
  const base = new URL(link!).origin;
  const placed = await fetch(`${base}/orders`, {
    method: 'POST',
    headers: { authorization: `Bearer ${customer}`, 'content-type': 'application/json' },
    body: JSON.stringify({ lines: [{ productId, quantity: 1 }] }),
  });
  if (placed.status !== 202) throw new Error(`placing the demo order answered ${placed.status}: ${await placed.text()}`);
  // Let the order run through stock and payment, so its trace is whole.
  await new Promise((resolve) => setTimeout(resolve, 1500));

  await mkdir(out, { recursive: true });
  const browser = await chromium.launch({ executablePath, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  const shot = async (name: string) => {
    await page.screenshot({ path: path.join(out, `${name}.png`), fullPage: false });
    process.stdout.write(`docs:console: wrote docs/console/${name}.png\n`);
  };
  await page.goto(link!);
  await page.locator('svg.map').waitFor();
  await shot('map');
  await page.goto(`${base}/console/#/modules/ordering`);
  await page.locator('[data-section="tables"]').waitFor();
  await shot('module');
  await page.goto(`${base}/console/#/events`);
  await page.locator('[data-subscription]').first().waitFor();
  await shot('events');
  await page.goto(`${base}/console/#/traces`);
  await page.getByLabel('Route').fill('/orders');
  await page.locator('[data-trace]', { hasText: 'POST /orders' }).first().getByRole('link').click();
  await page.locator('.waterfall').waitFor();
  await shot('trace');
  await browser.close();
} finally {
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  await rm(scratch, { recursive: true, force: true });
}
