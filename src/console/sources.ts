// The Sources page: each source's endpoints and credentials as the console may show them. Secrets are masked;
// only a write key can be fetched in full (the SDK snippets need it), one source at a time.
import type { FastifyRequest } from 'fastify';
import type { Config, SourceConfig } from '../config/schema.js';
import { originOf, speaks } from '../sources/registry.js';

export interface Field {
  label: string;
  value: string;
  /** A masked secret; `copy` = the full value can be fetched with the copy button. */
  secret?: boolean;
  copy?: boolean;
}

export interface SourceView {
  id: string;
  type: string;
  /** Taproute's base address as this browser reaches it. */
  base: string;
  /** The write key, masked (for the SDK and curl snippets; the copy button fills in the full one). */
  writeKey?: string;
  /** What to enter on the sending side (CleverTap's partner settings for CleverTap sources). */
  fields: Field[];
  sdk: boolean;
  fromCleverTap: boolean;
}

export function mask(secret: string): string {
  return secret.length > 10 ? `${secret.slice(0, 4)}${'•'.repeat(8)}` : '•'.repeat(8);
}

function credential(s: SourceConfig, key: 'writeKey' | 'key' | 'secret'): string | undefined {
  const v = (s as unknown as Record<string, unknown>)[key];
  return typeof v === 'string' ? v : undefined;
}

export function writeKeyOf(config: Config, sourceId: string): string | undefined {
  const s = config.sources.find((x) => x.id === sourceId);
  return s && speaks(s, 'segment') ? credential(s, 'writeKey') : undefined;
}

export function sourcesView(config: Config, req: FastifyRequest): SourceView[] {
  const host = String(req.headers['x-forwarded-host'] ?? req.headers.host ?? '127.0.0.1').split(',')[0].trim();
  const proto = String(req.headers['x-forwarded-proto'] ?? req.protocol ?? 'http').split(',')[0].trim();
  const base = `${proto}://${host}`;
  return config.sources.map((s) => {
    const fields: Field[] = [];
    const writeKey = credential(s, 'writeKey');
    const sdk = speaks(s, 'segment') && writeKey !== undefined;
    if (sdk) {
      fields.push({ label: 'Endpoint (Segment tracking API)', value: `${base}/v1/batch` });
      fields.push({ label: 'Write key', value: mask(writeKey!), secret: true, copy: true });
    }
    const secret = credential(s, 'secret');
    if (speaks(s, 'clevertap-webhook') && secret !== undefined) {
      fields.push({ label: 'Webhook URL', value: `${base}/webhooks/clevertap/${s.id}` });
      fields.push({ label: 'Webhook secret', value: mask(secret), secret: true });
    }
    const key = credential(s, 'key');
    if (speaks(s, 'mparticle') && key !== undefined) {
      fields.push({ label: 'mParticle endpoint', value: `${base}/v2/events` });
      fields.push({ label: 'API key', value: mask(key), secret: true });
      fields.push({ label: 'API secret', value: mask(secret ?? ''), secret: true });
    }
    return { id: s.id, type: s.type, base, writeKey: sdk ? mask(writeKey!) : undefined, fields, sdk, fromCleverTap: originOf(s) !== undefined };
  });
}
