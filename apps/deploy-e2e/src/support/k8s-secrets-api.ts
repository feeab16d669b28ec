import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A Secret as the API stores it (the fields deploy/certs/k8s-secrets.mjs reads and writes). */
export interface StoredSecret {
  apiVersion: 'v1';
  kind: 'Secret';
  metadata: { name: string; namespace: string; resourceVersion: string; uid: string; labels?: Record<string, string>; [key: string]: unknown };
  type: string;
  data: Record<string, string>;
}

/** One request the server answered. */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  /** The Secret's name (from the URL, or the body of a POST). */
  readonly name?: string;
  readonly status: number;
}

/**
 * The part of the Kubernetes API that deploy/certs/k8s-secrets.mjs uses, over HTTPS, for one
 * namespace: GET/PUT /api/v1/namespaces/<ns>/secrets/<name>, POST /api/v1/namespaces/<ns>/secrets.
 * It answers as the API server does: a bearer token is required (401), a name that exists cannot
 * be created (409 AlreadyExists), a PUT needs the current resourceVersion (409 Conflict; stricter
 * than the API server, which also takes none: the script must send it) and cannot change the type
 * (422), data values must be base64; errors are Status objects. `refuse`
 * makes every call answer 403 Forbidden (a ServiceAccount without the Role).
 */
export class K8sSecretsApi {
  readonly secrets = new Map<string, StoredSecret>();
  readonly seen: SeenRequest[] = [];
  refuse = false;
  private server?: Server;
  private version = 100;

  constructor(
    private readonly tls: { cert: string; key: string },
    private readonly namespace: string,
    private readonly token: string,
  ) {}

  /** Starts on 127.0.0.1 (a free port); resolves to the port. */
  async start(): Promise<number> {
    this.server = createServer({ cert: this.tls.cert, key: this.tls.key }, (req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  /** Stops the server. */
  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The decoded PEM files of a stored Secret. */
  files(name: string): Record<string, string> {
    const secret = this.secrets.get(name);
    if (!secret) throw new Error(`the API holds no Secret ${name}; it holds ${[...this.secrets.keys()].join(', ') || 'none'}`);
    return Object.fromEntries(Object.entries(secret.data).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = req.url ?? '';
    let subject: string | undefined;
    const reply = (status: number, body: unknown) => {
      this.seen.push({ method: req.method ?? '', path, name: subject, status });
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const status = (code: number, reason: string, message: string) => reply(code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code });
    if (req.headers.authorization !== `Bearer ${this.token}`) return status(401, 'Unauthorized', 'Unauthorized');
    const match = /^\/api\/v1\/namespaces\/([^/]+)\/secrets(?:\/([^/?]+))?$/.exec(path);
    if (!match || match[1] !== this.namespace) return status(404, 'NotFound', `the server could not find the requested resource (${req.method} ${path})`);
    const name = match[2];
    subject = name;
    if (this.refuse) return status(403, 'Forbidden', `secrets${name ? ` "${name}"` : ''} is forbidden: User "system:serviceaccount:${this.namespace}:failsoft-certs" cannot ${req.method?.toLowerCase()} resource "secrets"`);
    if (req.method === 'GET' && name) {
      const found = this.secrets.get(name);
      return found ? reply(200, found) : status(404, 'NotFound', `secrets "${name}" not found`);
    }
    let body: StoredSecret;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return status(400, 'BadRequest', 'the request body is not JSON');
    }
    subject = name ?? body?.metadata?.name;
    const invalid = this.invalid(body, name);
    if (invalid) return status(422, 'Invalid', `Secret "${body?.metadata?.name}" is invalid: ${invalid}`);
    if (req.method === 'POST' && !name) return this.create(body, reply, status);
    if (req.method === 'PUT' && name) return this.replace(name, body, reply, status);
    return status(405, 'MethodNotAllowed', `${req.method} is not supported on ${path}`);
  }

  private invalid(body: StoredSecret, name: string | undefined): string | undefined {
    if (body?.apiVersion !== 'v1' || body.kind !== 'Secret') return 'apiVersion must be v1 and kind Secret';
    if (!body.metadata?.name || (name && body.metadata.name !== name)) return 'metadata.name must match the URL';
    if (body.metadata.namespace !== undefined && body.metadata.namespace !== this.namespace) return 'metadata.namespace does not match the namespace of the request';
    for (const [key, value] of Object.entries(body.data ?? {})) {
      if (typeof value !== 'string' || Buffer.from(value, 'base64').toString('base64') !== value) return `data[${key}]: not base64`;
    }
    if (body.type === 'kubernetes.io/tls' && (!body.data?.['tls.crt'] || !body.data?.['tls.key'])) return 'data[tls.crt], data[tls.key]: required for kubernetes.io/tls';
    return undefined;
  }

  private create(body: StoredSecret, reply: (code: number, body: unknown) => void, status: (code: number, reason: string, message: string) => void): void {
    if (this.secrets.has(body.metadata.name)) return status(409, 'AlreadyExists', `secrets "${body.metadata.name}" already exists`);
    const stored: StoredSecret = { ...body, type: body.type ?? 'Opaque', metadata: { ...body.metadata, namespace: this.namespace, uid: `uid-${body.metadata.name}`, resourceVersion: String(++this.version) } };
    this.secrets.set(body.metadata.name, stored);
    reply(201, stored);
  }

  private replace(name: string, body: StoredSecret, reply: (code: number, body: unknown) => void, status: (code: number, reason: string, message: string) => void): void {
    const current = this.secrets.get(name);
    if (!current) return status(404, 'NotFound', `secrets "${name}" not found`);
    if (body.metadata.resourceVersion !== current.metadata.resourceVersion) {
      return status(409, 'Conflict', `Operation cannot be fulfilled on secrets "${name}": the object has been modified; please apply your changes to the latest version and try again`);
    }
    if ((body.type ?? 'Opaque') !== current.type) return status(422, 'Invalid', `Secret "${name}" is invalid: type: Invalid value: "${body.type}": field is immutable`);
    const stored: StoredSecret = { ...body, metadata: { ...body.metadata, namespace: this.namespace, uid: current.metadata.uid, resourceVersion: String(++this.version) } };
    this.secrets.set(name, stored);
    reply(200, stored);
  }
}
