// Browser SDKs in headless Chromium, from a shop page on another origin (http://localhost:<port>) sending to
// Taproute (http://127.0.0.1:<port>): the real @segment/analytics-next, loaded through the snippet from the bundle
// Taproute serves and as an npm build with inline cdnSettings, in standard and batching modes; RudderStack-style
// JSON with Basic auth and a beacon; and the browser's own CORS enforcement of allowedOrigins and the admin API.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startStack, waitFor, storedMessages, ADMIN_TOKEN, WRITE_KEY, type Stack } from '../helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `Chromium is not installed at ${CHROMIUM} (apt-get install -y chromium); browser tests skipped`;
const LOCKED_KEY = 'locked-write-key';
const NPM_BUILD = join(dirname(createRequire(import.meta.url).resolve('@segment/analytics-next/package.json')), 'dist', 'umd', 'index.js');

type Mode = 'standard' | 'batching';

/** The page a shop serves. `loader` puts window.analytics in place; the calls are made by the test afterwards. */
function shopPage(loader: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Shop</title><script>${loader}</script></head><body><h1>Shop</h1></body></html>`;
}

/**
 * A minimal stand-in for Segment's snippet (https://segment.com/docs/connections/sources/catalog/libraries/website/javascript/quickstart/):
 * a buffering stub, then the script tag with only the CDN host changed. `_cdn` tells the SDK where its CDN is when
 * it cannot read it from an https script URL.
 */
function snippetLoader(tap: string, mode: Mode): string {
  const loadOptions = mode === 'batching' ? { integrations: { 'Segment.io': { deliveryStrategy: { strategy: 'batching', config: { size: 6, timeout: 200 } } } } } : {};
  return `
    var analytics = (window.analytics = []);
    ['identify','track','page','screen','alias','group','ready','on','reset'].forEach(function (m) {
      analytics[m] = function () { analytics.push([m].concat([].slice.call(arguments))); return analytics; };
    });
    analytics._writeKey = ${JSON.stringify(WRITE_KEY)};
    analytics._cdn = ${JSON.stringify(tap)};
    analytics._loadOptions = ${JSON.stringify(loadOptions)};
    var s = document.createElement('script');
    s.async = true;
    s.src = ${JSON.stringify(`${tap}/analytics.js/v1/${WRITE_KEY}/analytics.min.js`)};
    document.head.appendChild(s);`;
}

/** The npm build with its settings inline (`cdnSettings`) and `apiHost` pointing at Taproute. */
function npmLoader(tap: string, mode: Mode, cdnSettings: unknown): string {
  const host = new URL(tap).host;
  const segmentio: Record<string, unknown> = { apiHost: `${host}/v1`, protocol: 'http' };
  if (mode === 'batching') segmentio.deliveryStrategy = { strategy: 'batching', config: { size: 6, timeout: 200 } };
  return `
    window.analyticsReady = AnalyticsNext.AnalyticsBrowser.load(
      { writeKey: ${JSON.stringify(WRITE_KEY)}, cdnSettings: ${JSON.stringify(cdnSettings)} },
      { integrations: { 'Segment.io': ${JSON.stringify(segmentio)} } }
    ).then(function (r) { window.analytics = r[0]; });`;
}

interface Observed {
  answers: { url: string; status: number }[];
  failed: string[];
  consoleErrors: string[];
}

function observe(page: Page, tap: string): Observed {
  const o: Observed = { answers: [], failed: [], consoleErrors: [] };
  page.on('response', (r) => {
    if (r.url().startsWith(tap)) o.answers.push({ url: r.url(), status: r.status() });
  });
  page.on('requestfailed', (r) => o.failed.push(`${r.url()}: ${r.failure()?.errorText}`));
  page.on('console', (m) => {
    if (m.type() === 'error') o.consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => o.consoleErrors.push(e.message));
  return o;
}

describe('browser SDKs in Chromium', { skip }, () => {
  let stack: Stack;
  let tap: string;
  let shop: Server;
  let shopUrl: string;
  let browser: Browser;
  const pages = new Map<string, string>();

  before(async () => {
    stack = await startStack({
      config: {
        sources: [
          { id: 'web', type: 'segment', writeKey: WRITE_KEY },
          { id: 'locked', type: 'segment', writeKey: LOCKED_KEY, allowedOrigins: ['https://shop.example.com'] },
        ],
        connections: [
          { source: 'web', destination: 'ct' },
          { source: 'locked', destination: 'ct' },
        ],
      },
    });
    tap = stack.server.url;
    const npmBuild = readFileSync(NPM_BUILD);
    shop = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/favicon.ico') {
        res.writeHead(204).end();
        return;
      }
      if (path === '/lib/analytics-next.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(npmBuild);
        return;
      }
      const html = pages.get(path);
      if (html) res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => shop.listen(0, '127.0.0.1', r));
    // localhost and 127.0.0.1 are different sites: every call from the page is cross-origin.
    shopUrl = `http://localhost:${(shop.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  after(async () => {
    await browser?.close();
    await new Promise<void>((r) => (shop ? shop.close(() => r()) : r()));
    await stack?.close();
  });

  async function runSegment(name: string, mode: Mode, html: string): Promise<void> {
    const uid = `br-${name}`;
    pages.set(`/${name}.html`, html);
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const seen = observe(page, tap);
      await page.goto(`${shopUrl}/${name}.html`);
      await page.waitForFunction(() => (window as any).analytics?.initialized === true, undefined, { timeout: 15_000 });
      const failures = await page.evaluate(async (uid: string) => {
        const a = (window as any).analytics;
        const errors: string[] = [];
        a.on('error', (e: { code: string; reason?: Error }) => errors.push(`${e.code}: ${e.reason?.message}`));
        // alias first, as a site does when a visitor signs up: the anonymous id becomes the user id.
        const ctxs = [
          await a.alias(uid),
          await a.identify(uid, { email: `${uid}@example.com`, name: 'Ada Lovelace' }),
          await a.track('Product Viewed', { sku: 'p-1', price: 12.5 }),
          await a.page('Catalog', { path: '/catalog' }),
          await a.screen('Cart'),
          await a.group('org-1', { plan: 'pro' }),
        ];
        return [...errors, ...ctxs.map((c) => c.failedDelivery()?.reason?.message).filter(Boolean)];
      }, uid);
      assert.deepEqual(failures, [], 'the SDK reports no failed delivery');

      // Every call reaches Taproute (batching sends them together) and is answered 2xx.
      const sent = await waitFor(() => {
        const mine = storedMessages(stack, 'web').filter((m) => m.userId === uid);
        return mine.length >= 6 ? mine : null;
      }, 10_000, `${name}: six messages stored (${JSON.stringify(seen)})`);
      assert.deepEqual(sent.map((m) => m.type).sort(), ['alias', 'group', 'identify', 'page', 'screen', 'track']);
      for (const m of sent) {
        assert.equal(m.writeKey, undefined, 'the write key is not stored');
        assert.equal(m.context?.library?.name, 'analytics.js');
      }
      const ingest = seen.answers.map((a) => new URL(a.url).pathname).filter((p) => /^\/v1\/[tipsgab]$/.test(p));
      if (mode === 'standard') assert.deepEqual(ingest.sort(), ['/v1/a', '/v1/g', '/v1/i', '/v1/p', '/v1/s', '/v1/t']);
      else assert.ok(ingest.length >= 1 && ingest.every((p) => p === '/v1/b'), `${name}: ${ingest}`);
      for (const a of seen.answers) assert.ok(a.status >= 200 && a.status < 300, `${a.url} answered ${a.status}`);
      assert.deepEqual(seen.failed, []);
      assert.deepEqual(seen.consoleErrors, []);
      // All but group reach the emulated CleverTap; group is counted as a failure (CleverTap has no groups).
      const events = await waitFor(() => {
        const e = (stack.emulator.events('acc') as any[]).filter((x) => x.identity === uid);
        return e.length >= 3 ? e : null;
      }, 10_000, `${name}: events in the emulator`);
      assert.deepEqual(events.map((e) => e.evtName).sort(), ['App Screen Viewed', 'Product Viewed', 'Web Page Viewed']);
      const anonymousId = sent.find((m) => m.type === 'alias')!.previousId;
      await waitFor(() => {
        const p = (stack.emulator.profiles('acc') as any[]).filter((x) => JSON.stringify(x).includes(uid));
        const identified = p.some((x) => x.profileData?.Email === `${uid}@example.com`);
        const aliased = p.some((x) => JSON.stringify(x).includes(anonymousId));
        return identified && aliased ? p : null;
      }, 10_000, `${name}: identify and alias in the emulator`);
      const dead = await waitFor(async () => {
        const d = (await stack.server.store.failures({ destination: 'ct', code: 'unsupported_type' })).filter((f) => f.userKey.startsWith(uid));
        return d.length ? d : null;
      }, 10_000, `${name}: group counted`);
      assert.equal(dead.length, 1);
    } finally {
      await context.close();
    }
  }

  test('@segment/analytics-next through the served snippet bundle, standard mode', async () => {
    await runSegment('snippet-standard', 'standard', shopPage(snippetLoader(tap, 'standard')));
  });

  test('@segment/analytics-next through the served snippet bundle, batching mode (/v1/b)', async () => {
    await runSegment('snippet-batching', 'batching', shopPage(snippetLoader(tap, 'batching')));
  });

  test('@segment/analytics-next npm build with cdnSettings, standard and batching modes', async () => {
    const res = await fetch(`${tap}/v1/projects/${WRITE_KEY}/settings`);
    const cdnSettings = await res.json();
    for (const mode of ['standard', 'batching'] as const) {
      const html = `<!doctype html><html><head><script src="/lib/analytics-next.js"></script><script>${npmLoader(tap, mode, cdnSettings)}</script></head><body></body></html>`;
      await runSegment(`npm-${mode}`, mode, html);
    }
  });

  test('RudderStack-style calls from the page: source config, JSON with Basic auth, and a beacon', async () => {
    pages.set('/rudder.html', shopPage(''));
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const seen = observe(page, tap);
      await page.goto(`${shopUrl}/rudder.html`);
      const r = await page.evaluate(
        async ({ tap, key }) => {
          const auth = 'Basic ' + btoa(key + ':');
          const cfg = await fetch(`${tap}/sourceConfig/?p=web&v=3.7.0&build=modern&writeKey=${key}`, { headers: { Authorization: auth } });
          const source = (await cfg.json()).source;
          const headers = { 'Content-Type': 'application/json;charset=UTF-8', Authorization: auth, AnonymousId: btoa('rs-anon') };
          const now = new Date().toISOString();
          const batch = await fetch(`${tap}/v1/batch`, {
            method: 'POST',
            headers,
            body: JSON.stringify({
              batch: [
                { type: 'identify', anonymousId: 'rs-anon', userId: 'rs-web', context: { traits: { email: 'rs@example.com' } }, traits: { email: 'rs@example.com' }, originalTimestamp: now, sentAt: now, messageId: 'rs-web-1' },
                { type: 'track', anonymousId: 'rs-anon', userId: 'rs-web', event: 'Cart Viewed', properties: { items: 2 }, originalTimestamp: now, messageId: 'rs-web-2' },
              ],
              sentAt: now,
            }),
          });
          const single = await fetch(`${tap}/v1/page`, { method: 'POST', headers, body: JSON.stringify({ anonymousId: 'rs-anon', userId: 'rs-web', name: 'Checkout', properties: { path: '/checkout' }, messageId: 'rs-web-3', sentAt: now }) });
          const beacon = navigator.sendBeacon(
            `${tap}/beacon/v1/batch?writeKey=${key}`,
            new Blob([JSON.stringify({ batch: [{ type: 'track', anonymousId: 'rs-anon', userId: 'rs-web', event: 'Left Page', messageId: 'rs-web-4' }], sentAt: now })], { type: 'text/plain' }),
          );
          return { config: cfg.status, writeKey: source.writeKey, batch: batch.status, single: single.status, beacon };
        },
        { tap, key: WRITE_KEY },
      );
      assert.deepEqual(r, { config: 200, writeKey: WRITE_KEY, batch: 200, single: 200, beacon: true });
      const events = await waitFor(() => {
        const e = (stack.emulator.events('acc') as any[]).filter((x) => x.identity === 'rs-web');
        return e.length >= 3 ? e : null;
      }, 10_000, 'rudderstack-style events in the emulator');
      assert.deepEqual(events.map((e) => e.evtName).sort(), ['Cart Viewed', 'Left Page', 'Web Page Viewed']);
      assert.deepEqual(seen.failed, []);
    } finally {
      await context.close();
    }
  });

  test('the browser blocks a source whose allowedOrigins exclude the page, and the admin API', async () => {
    pages.set('/blocked.html', shopPage(''));
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${shopUrl}/blocked.html`);
      const r = await page.evaluate(
        async ({ tap, key, token }) => {
          // (No named inner functions: the test's TypeScript build would wrap them in a helper the page lacks.)
          const [simple, basic, admin, health] = await Promise.all(
            [
              // text/plain with the key in the body: no preflight, so only the server can refuse it.
              fetch(`${tap}/v1/t`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify({ writeKey: key, userId: 'lk', event: 'E', messageId: 'locked-browser-1' }) }),
              fetch(`${tap}/v1/track`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: 'Basic ' + btoa(key + ':') }, body: JSON.stringify({ userId: 'lk', event: 'E', messageId: 'locked-browser-2' }) }),
              fetch(`${tap}/admin/status`, { headers: { Authorization: `Bearer ${token}` } }),
              fetch(`${tap}/healthz`),
            ].map((p) => p.then((x) => `status ${x.status}`, (e: Error) => `blocked: ${e.name}`)),
          );
          return { simple, basic, admin, health };
        },
        { tap, key: LOCKED_KEY, token: ADMIN_TOKEN },
      );
      assert.deepEqual(r, { simple: 'blocked: TypeError', basic: 'blocked: TypeError', admin: 'blocked: TypeError', health: 'blocked: TypeError' });
      assert.deepEqual(storedMessages(stack, 'locked'), [], 'nothing from the refused origin was stored');
    } finally {
      await context.close();
    }
  });
});
