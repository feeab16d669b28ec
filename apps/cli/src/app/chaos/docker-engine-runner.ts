import { request } from 'node:http';
import { ChaosError } from './chaos.error';

/** Runs what `docker <args>` would run and resolves with its standard output (see {@link ComposeChaosTargetOptions.runner}). */
export type DockerRunner = (args: readonly string[]) => Promise<string>;

/** Options of {@link engineApiRunner}. */
export interface EngineApiRunnerOptions {
  /** The compose project whose containers are acted on (label com.docker.compose.project). */
  project: string;
  /** The Engine API socket (default /var/run/docker.sock). */
  socketPath?: string;
  /** Bound of one API call (default 60 s). */
  timeoutMs?: number;
}

interface ApiContainer {
  Id: string;
  Labels: Record<string, string>;
  State: string;
  Status: string;
}

/**
 * A {@link DockerRunner} that speaks the Docker Engine API on its socket instead of running the
 * `docker` CLI: what the compose control agent uses inside its container, where there is no docker
 * CLI. It answers the commands the compose chaos target gives (`compose ps --all --format json`,
 * `compose kill -s SIGKILL|stop|start|pause|unpause <services>`, `compose exec -T <service> <argv>`,
 * `inspect <ids>`), acting only on the containers of one compose project.
 */
export function engineApiRunner(options: EngineApiRunnerOptions): DockerRunner {
  const socketPath = options.socketPath ?? '/var/run/docker.sock';
  const timeoutMs = options.timeoutMs ?? 60_000;

  const api = (method: string, path: string, body?: unknown): Promise<{ status: number; data: Buffer }> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request({ socketPath, path, method, timeout: timeoutMs, headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {} }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, data: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs / 1000} s`)));
      req.on('error', (error) => reject(new ChaosError('UNAVAILABLE', `the Docker Engine API on ${socketPath} did not answer ${method} ${path}: ${error.message} (is the socket mounted?)`)));
      req.end(payload);
    });
  const ok = async (method: string, path: string, body?: unknown): Promise<Buffer> => {
    const res = await api(method, path, body);
    // 304: already started / stopped, nothing to do
    if (res.status >= 300 && res.status !== 304) throw new ChaosError('UNAVAILABLE', `Docker Engine API ${method} ${path} answered ${res.status}: ${res.data.toString().trim().slice(0, 300)}`);
    return res.data;
  };

  const list = async (): Promise<ApiContainer[]> => {
    const filters = encodeURIComponent(JSON.stringify({ label: [`com.docker.compose.project=${options.project}`] }));
    return JSON.parse((await ok('GET', `/containers/json?all=1&filters=${filters}`)).toString()) as ApiContainer[];
  };
  const idOf = async (service: string): Promise<string> => {
    const found = (await list()).find((c) => c.Labels['com.docker.compose.service'] === service);
    if (!found) throw new ChaosError('NOT_FOUND', `no container of service ${JSON.stringify(service)} in compose project ${options.project}`);
    return found.Id;
  };

  const exec = async (service: string, argv: readonly string[]): Promise<string> => {
    const id = await idOf(service);
    const created = JSON.parse((await ok('POST', `/containers/${id}/exec`, { AttachStdout: true, AttachStderr: true, Cmd: argv })).toString()) as { Id: string };
    const raw = await ok('POST', `/exec/${created.Id}/start`, { Detach: false, Tty: false });
    const { stdout, stderr } = demultiplex(raw);
    const { ExitCode } = JSON.parse((await ok('GET', `/exec/${created.Id}/json`)).toString()) as { ExitCode: number | null };
    if (ExitCode !== 0) throw new ChaosError('UNAVAILABLE', `exec in ${service} (${argv[0]}) failed (exit ${ExitCode}): ${(stderr || stdout).trim().slice(-300)}`);
    return stdout;
  };

  return async (args) => {
    if (args[0] === 'inspect') {
      const all = await Promise.all(args.slice(1).map(async (id) => JSON.parse((await ok('GET', `/containers/${id}/json`)).toString()) as unknown));
      return JSON.stringify(all);
    }
    if (args[0] !== 'compose') throw new ChaosError('BAD_REQUEST', `the Engine API runner runs compose commands only; got docker ${args.join(' ')}`);
    const rest = args[1] === '-p' ? args.slice(3) : args.slice(1);
    const [command, ...operands] = rest;
    switch (command) {
      case 'ps':
        return (await list())
          .map((c) => JSON.stringify({ Service: c.Labels['com.docker.compose.service'], ID: c.Id, State: c.State, Health: /\((healthy|unhealthy)\)/.exec(c.Status)?.[1] ?? (/health: starting/.test(c.Status) ? 'starting' : '') }))
          .join('\n');
      case 'exec':
        return exec(operands[1], operands.slice(2));
      case 'kill':
        for (const service of operands.slice(2)) await ok('POST', `/containers/${await idOf(service)}/kill?signal=SIGKILL`);
        return '';
      case 'stop':
      case 'start':
      case 'pause':
      case 'unpause':
        for (const service of operands) await ok('POST', `/containers/${await idOf(service)}/${command}${command === 'stop' ? '?t=20' : ''}`);
        return '';
      default:
        throw new ChaosError('BAD_REQUEST', `the Engine API runner does not know docker compose ${command}`);
    }
  };
}

/** Splits the Engine API's multiplexed exec stream (8-byte frame headers: stream, 0, 0, 0, size) into stdout and stderr. */
export function demultiplex(raw: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= raw.length) {
    const stream = raw[offset];
    const size = raw.readUInt32BE(offset + 4);
    const frame = raw.subarray(offset + 8, offset + 8 + size);
    (stream === 2 ? err : out).push(frame);
    offset += 8 + size;
  }
  return { stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}
