import { existsSync } from 'node:fs';

/** Where the OS packages put Chromium (Debian's `chromium`, Ubuntu's `chromium-browser`); CHROMIUM_PATH wins. */
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/snap/bin/chromium'];

/** The Chromium the browser tests drive, or undefined when the machine has none. */
export function findChromium(): string | undefined {
  const wanted = process.env.CHROMIUM_PATH;
  if (wanted) return existsSync(wanted) ? wanted : undefined;
  return CANDIDATES.find((candidate) => existsSync(candidate));
}

/** Flags for a headless run on a CI machine as root: no sandbox, no GPU, and nothing that phones home. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];

export const NO_CHROMIUM_MESSAGE =
  'The browser test cannot run: no Chromium found (looked at CHROMIUM_PATH, ' + CANDIDATES.join(', ') + '). Install the OS package: apt-get install -y chromium';
