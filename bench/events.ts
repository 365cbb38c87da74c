// The events every benchmark uses, generated deterministically (no fixture files):
// - `compact` (~1 KB): the original mix, flat properties.
// - `realistic` (~1.4 KB): the same mix with what production payloads carry, per the performance issue:
//   identify with a dozen traits including a nested address and a list, track with a dozen properties including a
//   nested object and a list, page, screen, and Order Completed with 3 products.
// Mix in both: 20% identify, 60% track, 10% page, 5% screen, 5% Order Completed.
import type { InboundMessage } from '../src/message/schema.js';

export type Mix = 'compact' | 'realistic';
export const MIXES: Mix[] = ['compact', 'realistic'];

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

export function buildEvents(n: number, seed = 42, mix: Mix = 'compact'): InboundMessage[] {
  const rich = mix === 'realistic';
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
          ...(rich ? richTraits(r, pick, i) : {}),
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
          ...(rich ? richProperties(r, pick) : {}),
        },
      });
    } else if (k < 0.9) {
      out.push({
        ...base,
        type: 'page',
        name: pick(PAGES),
        properties: { path: '/products/123', referrer: 'https://www.google.com/', search: '', title: 'Widget - Shop', url: 'https://shop.example.com/products/123', keywords: 'games,toys', tab: 'details', variant: 'b', logged_in: !!user, width: 1440, ...(rich ? richProperties(r, pick) : {}) },
      });
    } else if (k < 0.95) {
      out.push({
        ...base,
        type: 'screen',
        name: pick(SCREENS),
        properties: { screen_class: 'ProductViewController', previous: pick(SCREENS), load_ms: Math.floor(r() * 900), orientation: 'portrait', dark_mode: r() < 0.3, tab: 'details', variant: 'a', section: 'top', depth: 2, source: 'push', ...(rich ? richProperties(r, pick) : {}) },
      });
    } else {
      const product = () => ({
        product_id: String(Math.floor(r() * 10_000)),
        sku: `SKU-${hex(6)}`,
        name: pick(['Monopoly', 'UNO', 'Ludo']),
        price: Math.round(r() * 5000) / 100,
        quantity: 1 + Math.floor(r() * 3),
        category: pick(CATEGORIES),
        ...(rich ? { brand: pick(['Hasbro', 'Mattel', 'Ravensburger']), variant: pick(['red', 'blue', 'travel']), url: 'https://shop.example.com/products/123', image_url: 'https://cdn.example.com/p/123.jpg', position: 1 + Math.floor(r() * 3) } : {}),
      });
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

function richTraits(r: () => number, pick: <T>(a: T[]) => T, i: number): Record<string, unknown> {
  return {
    firstName: 'Person',
    lastName: `Number ${i}`,
    title: pick(['Engineer', 'Designer', 'Manager']),
    createdAt: '2024-03-14T09:26:53.000Z',
    address: { street: `${1 + Math.floor(r() * 999)} Market St`, city: pick(['Tokyo', 'Berlin', 'Austin', 'Pune']), state: 'CA', postalCode: '94103', country: 'US' },
    interests: ['board games', pick(['puzzles', 'cards', 'strategy']), 'family'],
    avatar: 'https://cdn.example.com/avatars/7f3a9c2e4b1d.png',
    website: 'https://people.example.com/profile/7f3a9c2e4b1d',
    description: 'Joined through the spring referral programme; prefers email over push.',
  };
}

function richProperties(r: () => number, pick: <T>(a: T[]) => T): Record<string, unknown> {
  return {
    variant: pick(['red', 'blue', 'travel']),
    coupon: pick(['', 'SPRING10', 'WELCOME']),
    image_url: 'https://cdn.example.com/p/123.jpg',
    campaign: { source: 'newsletter', medium: 'email', name: 'spring-sale', content: 'hero-banner', term: 'board games' },
    tags: ['featured', pick(['new', 'sale', 'bestseller']), 'family'],
    description: 'A classic family board game for two to six players, ages eight and up.',
    position: Math.floor(r() * 20),
    list_id: 'home-recommendations',
  };
}

/** Events of one type from a mix, for per-type figures. */
export function kindOf(e: InboundMessage): string {
  if (e.type === 'track' && (e as { event?: string }).event === 'Order Completed') return 'Order Completed';
  return e.type;
}
