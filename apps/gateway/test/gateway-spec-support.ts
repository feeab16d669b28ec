import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { SentinelTopology } from '@failsoft/testing';

/** The shared token and token-signing secret of the specs' gateways and fake upstreams. */
export const SPEC_SECRETS = { token: 'gateway-spec-token-0123456789', authSecret: 'gateway-spec-secret-0123456789abcdef0123' } as const;

/** A 1x1 PNG. */
export const ONE_PIXEL_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

/** What {@link rawRequest} answers. */
export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/**
 * Sends exactly `path` (no URL normalisation by a client, so path tricks reach the server as
 * written) and resolves with the status, headers and body text.
 */
export function rawRequest(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: Buffer | string): Promise<RawResponse> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * The environment of a gateway started in a spec against `topology`: a free HTTP port on loopback,
 * the given shared secrets, quiet logs, instance `instance` in zone-a; `extra` adds or overrides.
 */
export function gatewaySpecEnv(
  topology: SentinelTopology,
  secrets: { token: string; authSecret: string },
  instance: string,
  extra: NodeJS.ProcessEnv = {},
): NodeJS.ProcessEnv {
  return {
    HTTP_PORT: '0',
    BIND_HOST: '127.0.0.1',
    REDIS_SENTINELS: topology.sentinels.map((s) => `${s.host}:${s.port}`).join(','),
    REDIS_MASTER_NAME: topology.masterName,
    FAILSOFT_TOKEN: secrets.token,
    AUTH_SECRET: secrets.authSecret,
    LOG_LEVEL: 'error',
    INSTANCE_ID: instance,
    ZONE: 'zone-a',
    ...extra,
  };
}
