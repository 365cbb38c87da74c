// CleverTap transform throughput on one core, beside a baseline measured in the same run:
// JSON.parse(JSON.stringify(event)) of the same events (a deep copy: the least any mapping step could cost).
// Mix: 20% identify, 60% track, 10% page, 5% screen, 5% Order Completed with 3 products; ~1 KB each.
import { measure, report, rate } from './lib.js';
import { compileTransform } from '../src/destinations/clevertap/transform.js';
import type { CleverTapSettings } from '../src/destinations/clevertap/settings.js';
import type { InboundMessage } from '../src/message/schema.js';

const POOL = 10_000; // distinct events, replayed ROUNDS times: 250k events at BENCH_SCALE=1
const ROUNDS = Math.max(1, Math.round(25 * Number(process.env.BENCH_SCALE ?? 1)));

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EVENTS = ['Product Viewed', 'Product Added', 'Checkout Started', 'Video Played', 'Search Performed', 'Signed Up', 'Coupon Applied', 'Cart Viewed'];
const PAGES = ['Home', 'Cart', 'Product', 'Checkout', 'Search Results'];
const SCREENS = ['Home', 'Settings', 'Product Detail', 'Profile'];
const CATEGORIES = ['Games', 'Books', 'Toys', 'Electronics', 'Garden'];

export function buildEvents(n: number, seed = 42): InboundMessage[] {
  const r = rng(seed);
  const pick = <T>(a: T[]): T => a[Math.floor(r() * a.length)];
  const hex = (len: number) => Array.from({ length: len }, () => Math.floor(r() * 16).toString(16)).join('');
  const out: InboundMessage[] = [];
  const t0 = Date.UTC(2026, 10, 1);
  for (let i = 0; i < n; i++) {
    const mobile = r() < 0.4;
    const android = r() < 0.5;
    const user = r() < 0.8 ? `user-${Math.floor(r() * 50_000)}` : undefined;
    const when = new Date(t0 + Math.floor(r() * 86_400_000 * 30));
    const context: Record<string, unknown> = {
      library: mobile ? { name: android ? 'analytics-android' : 'analytics-ios', version: '4.11.3' } : { name: 'analytics.js', version: '5.2.1' },
      ip: `203.0.${Math.floor(r() * 255)}.${Math.floor(r() * 255)}`,
      locale: pick(['en-US', 'en-GB', 'de-DE', 'hi-IN', 'pt-BR']),
      userAgent: mobile
        ? `Shop/3.2.1 (${android ? 'Android 14; Pixel 8' : 'iPhone; iOS 17.4'})`
        : 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
      device: mobile ? { id: hex(16), manufacturer: android ? 'Google' : 'Apple', model: android ? 'Pixel 8' : 'iPhone15,2', type: android ? 'android' : 'ios' } : { type: 'browser' },
      os: mobile ? { name: android ? 'Android' : 'iOS', version: android ? '14' : '17.4' } : { name: 'Mac OS X', version: '10.15.7' },
      app: { name: 'Shop', version: '3.2.1', build: '321' },
      page: { path: '/products/123', referrer: 'https://www.google.com/', title: 'Widget', url: 'https://shop.example.com/products/123' },
    };
    const base = {
      messageId: `msg-${hex(24)}`,
      anonymousId: `anon-${hex(20)}`,
      ...(user ? { userId: user } : {}),
      timestamp: when.toISOString(),
      originalTimestamp: when.toISOString(),
      sentAt: new Date(when.getTime() + 150).toISOString(),
      receivedAt: new Date(when.getTime() + 200).toISOString(),
      context,
    };
    const k = r();
    if (k < 0.2) {
      out.push({
        ...base,
        type: 'identify',
        traits: {
          name: `Person ${i}`,
          email: `person${i}@example.com`,
          phone: `+1415555${String(i % 10_000).padStart(4, '0')}`,
          gender: pick(['male', 'female', 'M', 'F']),
          birthday: '1988-09-28',
          plan: pick(['free', 'pro', 'enterprise']),
          company: 'Example Inc',
          city: pick(['Tokyo', 'Berlin', 'Austin', 'Pune']),
          logins: Math.floor(r() * 500),
          'MSG-email': r() < 0.8,
        },
      });
    } else if (k < 0.8) {
      out.push({
        ...base,
        type: 'track',
        event: pick(EVENTS),
        properties: {
          product_id: String(Math.floor(r() * 10_000)),
          sku: `SKU-${hex(6)}`,
          name: pick(['Monopoly', 'UNO', 'Ludo', 'Chess', 'Catan']),
          price: Math.round(r() * 10_000) / 100,
          quantity: 1 + Math.floor(r() * 5),
          category: pick(CATEGORIES),
          brand: pick(['Hasbro', 'Mattel', 'Ravensburger']),
          currency: 'USD',
          url: 'https://shop.example.com/products/123',
          in_stock: r() < 0.9,
        },
      });
    } else if (k < 0.9) {
      out.push({
        ...base,
        type: 'page',
        name: pick(PAGES),
        properties: { path: '/products/123', referrer: 'https://www.google.com/', search: '', title: 'Widget - Shop', url: 'https://shop.example.com/products/123', keywords: 'games,toys', tab: 'details', variant: 'b', logged_in: !!user, width: 1440 },
      });
    } else if (k < 0.95) {
      out.push({
        ...base,
        type: 'screen',
        name: pick(SCREENS),
        properties: { screen_class: 'ProductViewController', previous: pick(SCREENS), load_ms: Math.floor(r() * 900), orientation: 'portrait', dark_mode: r() < 0.3, tab: 'details', variant: 'a', section: 'top', depth: 2, source: 'push' },
      });
    } else {
      const product = () => ({ product_id: String(Math.floor(r() * 10_000)), sku: `SKU-${hex(6)}`, name: pick(['Monopoly', 'UNO', 'Ludo']), price: Math.round(r() * 5000) / 100, quantity: 1 + Math.floor(r() * 3), category: pick(CATEGORIES) });
      out.push({
        ...base,
        type: 'track',
        event: 'Order Completed',
        properties: { checkout_id: hex(10), order_id: hex(8), affiliation: 'Web Store', total: 52.5, revenue: 45, shipping: 5, tax: 2.5, discount: 0, coupon: '', currency: 'USD', products: [product(), product(), product()] },
      });
    }
  }
  return out;
}

export async function run(): Promise<void> {
  const events = buildEvents(POOL);
  const n = POOL * ROUNDS;
  const bytes = events.reduce((s, e) => s + JSON.stringify(e).length, 0) / events.length;
  let sink = 0;

  const baseline = await measure('baseline JSON.parse(JSON.stringify(event))', 'events', n, () => {
    for (let r = 0; r < ROUNDS; r++) for (const e of events) sink += (JSON.parse(JSON.stringify(e)) as { type: string }).type.length;
  });
  const modes: [string, CleverTapSettings][] = [
    ['own', { accountId: 'bench', passcode: 'bench', defaultCountryCode: '+1' }],
    ['segment', { accountId: 'bench', passcode: 'bench', compat: 'segment' }],
    ['rudderstack', { accountId: 'bench', passcode: 'bench', compat: 'rudderstack', trackAnonymous: true, objectIdMapping: true }],
  ];
  for (const [mode, settings] of modes) {
    const transform = compileTransform(settings);
    let failed = 0;
    const subject = await measure(`clevertap transform (${mode} mode)`, 'events', n, () => {
      for (let r = 0; r < ROUNDS; r++) {
        for (const e of events) {
          const res = transform(e);
          if (res.ok) sink += res.records.length;
          else failed++;
        }
      }
    });
    report(`CleverTap transform, ${mode} mode: ${n.toLocaleString('en-US')} events (~${Math.round(bytes)} B), one core`, subject, baseline, [
      `target: ratio >= 1.00 -> ${rate(subject) / rate(baseline) >= 1 ? 'met' : 'NOT met'}${failed ? `  (${failed / 2} rejected per run)` : ''}`,
    ]);
  }
  if (sink === 42) console.log(''); // keeps the work observable
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
