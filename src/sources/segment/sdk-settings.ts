// What the SDKs fetch before they send, so that apps change only a host:
//   GET /v1/projects/:writeKey/settings    Segment's settings CDN (browser `cdnURL`, mobile `cdnHost`)
//   GET /sourceConfig[/]?writeKey=…        RudderStack's control plane (browser `configUrl`, mobile `controlPlaneUrl`;
//                                          the write key in the query or as HTTP Basic user)
//
// Decisions:
// - Only sources of type `segment` have settings; any other or unknown write key gets 404 with no detail.
// - Segment: `Segment.io` points at this server (apiHost = the host the client used + /v1, protocol from
//   X-Forwarded-Proto or the connection), remote metrics are off (sampleRate 0: nothing goes to Segment).
// - Device mode: a connection with `deviceMode` to a CleverTap destination adds CleverTap's settings in each SDK's
//   own keys — account id, region and, when the connection gives it, the public account token that CleverTap's
//   mobile SDKs need (https://developer.clevertap.com/docs/android-quickstart-guide); never the passcode.
//   Segment's entry is marked for the mobile kits only (componentTypes android/ios), so Segment's browser SDK does
//   not try to load a CleverTap bundle from this server.
// - Ids in the answers (source, workspace, destination) are hashes of the write key: nothing that a page does not
//   already hold. Answers may be cached by the browser for a minute, not by shared caches (they depend on the Host).
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SourceConfig } from '../../config/schema.js';
import type { CleverTapDeviceSettings } from '../../clevertap/platform.js';
import type { IngestContext } from '../../ingest/context.js';
import { parseBasicAuth } from '../../util/secrets.js';
import { requestHost } from './cors.js';


const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;

function opaqueId(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 24);
}

/** The settings object Segment's SDKs read from `<cdn>/v1/projects/<writeKey>/settings`. */
export function segmentCdnSettings(o: { writeKey: string; apiHost: string; protocol: 'http' | 'https'; cleverTap: CleverTapDeviceSettings[] }) {
  const integrations: Record<string, Record<string, unknown>> = {
    'Segment.io': {
      apiKey: o.writeKey,
      apiHost: o.apiHost,
      protocol: o.protocol,
      unbundledIntegrations: [],
      maybeBundledConfigIds: {},
    },
  };
  const ct = o.cleverTap[0];
  if (ct) {
    // Keys read by CleverTap's Segment kits, e.g. https://github.com/CleverTap/clevertap-segment-android
    integrations.CleverTap = {
      clevertap_account_id: ct.accountId,
      ...(ct.accountToken ? { clevertap_account_token: ct.accountToken } : {}),
      region: ct.region,
      versionSettings: { componentTypes: ['android', 'ios'] },
    };
  }
  return {
    integrations,
    plan: {},
    edgeFunction: {},
    analyticsNextEnabled: true,
    middlewareSettings: {},
    enabledMiddleware: {},
    metrics: { sampleRate: 0 },
    legacyVideoPluginsEnabled: false,
    remotePlugins: [],
  };
}

/** The source configuration RudderStack's SDKs read from `<configUrl>/sourceConfig`. */
export function rudderSourceConfig(o: { writeKey: string; updatedAt: string; cleverTap: CleverTapDeviceSettings[] }) {
  const destinations = o.cleverTap.map((ct, i) => ({
    id: opaqueId('destination', o.writeKey, String(i)),
    name: 'CleverTap',
    enabled: true,
    deleted: false,
    updatedAt: o.updatedAt,
    // accountId/region: RudderStack's web integration; accountToken: its mobile integrations.
    config: {
      accountId: ct.accountId,
      region: ct.region,
      ...(ct.accountToken ? { accountToken: ct.accountToken } : {}),
      connectionMode: 'device',
      useNativeSDK: true,
      useNativeSDKToSend: true,
    },
    destinationDefinitionId: opaqueId('definition', 'CLEVERTAP'),
    destinationDefinition: { name: 'CLEVERTAP', displayName: 'CleverTap', updatedAt: o.updatedAt },
    shouldApplyDeviceModeTransformation: false,
    propagateEventsUntransformedOnError: false,
    areTransformationsConnected: false,
  }));
  return {
    isHosted: false,
    source: {
      id: opaqueId('source', o.writeKey),
      name: 'Taproute',
      writeKey: o.writeKey,
      workspaceId: opaqueId('workspace', o.writeKey),
      enabled: true,
      deleted: false,
      createdAt: o.updatedAt,
      updatedAt: o.updatedAt,
      config: { statsCollection: { errors: { enabled: false }, metrics: { enabled: false } } },
      destinations,
    },
    updatedAt: o.updatedAt,
  };
}

/** scheme and host the client used to reach this server (a TLS proxy in front passes them in X-Forwarded-*). */
export function publicOrigin(req: FastifyRequest): { protocol: 'http' | 'https'; host: string } {
  const fwd = String(req.headers['x-forwarded-proto'] ?? '').split(',')[0].trim().toLowerCase();
  const protocol = fwd === 'https' || fwd === 'http' ? fwd : req.protocol === 'https' ? 'https' : 'http';
  const host = requestHost(req);
  return { protocol, host: host && HOST.test(host) ? host : `${req.hostname}` };
}

/** `deviceMode(sourceId)`: the device-mode settings of a source's connections (the server reads them from the destinations). */
export function sdkSettingsRoutes(app: FastifyInstance, ctx: IngestContext, deviceMode: (sourceId: string) => CleverTapDeviceSettings[]): void {
  const updatedAt = new Date().toISOString();
  const webSource = (key: string | undefined): SourceConfig | undefined => {
    const s = key ? ctx.sourceByWriteKey(key) : undefined;
    return s?.type === 'segment' ? s : undefined;
  };
  const notFound = (reply: FastifyReply) => reply.code(404).send({ success: false, error: 'not found' });
  const cacheable = (reply: FastifyReply) => reply.header('Cache-Control', 'private, max-age=60');

  app.get('/v1/projects/:writeKey/settings', async (req, reply) => {
    const { writeKey } = req.params as { writeKey: string };
    const src = webSource(writeKey);
    if (!src) return notFound(reply);
    const { protocol, host } = publicOrigin(req);
    cacheable(reply);
    return segmentCdnSettings({ writeKey, apiHost: `${host}/v1`, protocol, cleverTap: deviceMode(src.id) });
  });

  const sourceConfig = async (req: FastifyRequest, reply: FastifyReply) => {
    const q = (req.query as Record<string, unknown>).writeKey;
    const writeKey = parseBasicAuth(req.headers.authorization)?.user || (typeof q === 'string' ? q : undefined);
    const src = webSource(writeKey);
    if (!src || !writeKey) return notFound(reply);
    cacheable(reply);
    return rudderSourceConfig({ writeKey, updatedAt, cleverTap: deviceMode(src.id) });
  };
  app.get('/sourceConfig', sourceConfig);
  app.get('/sourceConfig/', sourceConfig);
}
