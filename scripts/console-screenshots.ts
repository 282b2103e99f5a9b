/**
 * `npm run docs:console`: refreshes the console's screenshots in docs/console/ (map, module page, events, trace), as a
 * newcomer would see them on a fresh `npm start`: the program runs with the embedded PostgreSQL in a scratch DATA_DIR,
 * the page is signed in through the start-up link, one demo order is placed, and a Chromium from the OS packages
 * (CHROMIUM_PATH, else the OS package's) takes the pictures through playwright-core.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, findChromium, NO_CHROMIUM_MESSAGE } from '../test/support/chromium.ts';
import { CONSOLE_LINK, startConsoleApp } from './console-app.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'docs', 'console');
const executablePath = findChromium();
if (!executablePath) throw new Error(`docs:console: ${NO_CHROMIUM_MESSAGE}`);

const app = await startConsoleApp('console-shots');
try {
  const [, link] = await app.waitFor(CONSOLE_LINK);
  const [, customer] = await app.waitFor(/CUSTOMER_TOKEN=(\S+)/);
  const [, productId] = await app.waitFor(/"productId":"([0-9a-f-]+)"/);
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
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
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
  await app.stop();
}
