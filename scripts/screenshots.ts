// `npm run screenshots`: the console's pages in headless Chromium (the same browser code as the tests),
// against a real server and the emulator with some traffic, saved to docs/screenshots/.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Analytics } from '@segment/analytics-node';
import { buildConsole } from './build-console.mjs';
import { startStack, waitFor, WRITE_KEY } from '../test/helpers.js';
import { launchChromium, openConsole } from '../test/console/chromium.js';

const OUT = join(import.meta.dirname, '..', 'docs', 'screenshots');
mkdirSync(OUT, { recursive: true });
await buildConsole();
const stack = await startStack();
const browser = await launchChromium();
try {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  await openConsole(page, stack.server.url, '/console/debugger');
  await page.waitForSelector('.state:text("live")');
  const a = new Analytics({ writeKey: WRITE_KEY, host: stack.server.url, flushAt: 5, flushInterval: 50 });
  const traffic = async (round: number) => {
    for (let i = 0; i < 8; i++) {
      const userId = `user-${(round * 8 + i) % 13}`;
      a.identify({ userId, traits: { name: `Customer ${i}`, email: `c${i}@example.com`, plan: i % 2 ? 'pro' : 'free' } });
      a.track({ userId, event: i % 3 ? 'Product Viewed' : 'Order Completed', properties: { product_id: `p${i}`, revenue: 10 + i, products: [{ sku: `G-${i}`, price: 10 + i }] } });
      a.page({ userId, name: 'Pricing', properties: { path: '/pricing' } });
    }
    a.group({ userId: 'user-1', groupId: 'acme' }); // CleverTap has no groups: a dead letter
    await a.flush();
  };
  // Two rate samples are ten seconds apart: keep traffic flowing for a little longer than that.
  const started = Date.now();
  for (let round = 0; Date.now() - started < 22_000; round++) {
    await traffic(round);
    await new Promise((r) => setTimeout(r, 1000));
  }
  await a.closeAndFlush();
  await waitFor(async () => (await stack.server.store.counts()).every((c) => c.pending === 0), 20_000);
  await page.locator('tr.event').first().waitFor();
  await page.screenshot({ path: join(OUT, 'debugger.png') });
  await page.locator('tr.event', { hasText: 'Order Completed' }).first().click();
  await page.waitForSelector('tr.detail .records');
  await page.screenshot({ path: join(OUT, 'debugger-message.png') });

  await page.goto(`${stack.server.url}/console`);
  await page.waitForSelector('.chart svg');
  await page.screenshot({ path: join(OUT, 'overview.png') });

  await page.goto(`${stack.server.url}/console/failures`);
  await page.locator('tr[data-failure-id] button:text("Open")').first().click();
  await page.waitForSelector('tr.detail .records');
  await page.screenshot({ path: join(OUT, 'failures.png') });

  await page.goto(`${stack.server.url}/console/transform`);
  await page.waitForSelector('select[name=mode]');
  await page.selectOption('select[name=example]', 'order');
  // A function too: the playground shows its output before the records.
  await page.click('details.function summary');
  await page.fill('textarea[name=function]', 'export function transform(m) {\n  return { ...m, properties: { ...m.properties, channel: "web" } };\n}');
  await page.click('button:text("Transform")');
  await page.waitForSelector('.step h2');
  await page.waitForSelector('.side-by-side');
  await page.screenshot({ path: join(OUT, 'transform.png'), fullPage: true });

  await page.goto(`${stack.server.url}/console/sources`);
  await page.waitForSelector('section.source');
  await page.screenshot({ path: join(OUT, 'sources.png') });

  await page.goto(`${stack.server.url}/console/users`);
  await page.fill('input[name=user]', 'user-1');
  await page.click('button:text("Look up")');
  await page.waitForSelector('section.danger');
  await page.screenshot({ path: join(OUT, 'users.png') });
  console.log(`screenshots written to ${OUT}`);
} finally {
  await browser.close();
  await stack.close();
}
