// The headless Chromium the console's browser tests and `npm run screenshots` drive (the system's Chromium).
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ADMIN_TOKEN } from '../helpers.js';

export const CHROMIUM = '/usr/bin/chromium';
export const noChromium = existsSync(CHROMIUM) ? false : `Chromium is not installed at ${CHROMIUM} (apt-get install -y chromium); browser tests skipped`;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Logs in through the address with the token, as the sandbox banner prints it; lands on `path`. */
export async function openConsole(page: Page, base: string, path = '/console'): Promise<void> {
  await page.goto(`${base}${path}?token=${ADMIN_TOKEN}`);
  await page.waitForSelector('main h1');
}
