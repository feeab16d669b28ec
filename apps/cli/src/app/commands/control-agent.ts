import { statSync } from 'node:fs';
import { hostname } from 'node:os';
import { request } from 'node:http';
import { ComposeChaosTarget } from '../chaos/compose-chaos-target';
import { engineApiRunner } from '../chaos/docker-engine-runner';
import { CONTROL_TOKEN_ENV } from '../control/control.constants';
import { startControlServer } from '../control/control.server';
import type { Command } from './command';

/** Port the agent listens on inside the compose network (deploy/docker/compose.chaos.yml). */
export const CONTROL_AGENT_PORT = 7070;
const SOCKET = '/var/run/docker.sock';

/** The compose project this container belongs to: COMPOSE_PROJECT_NAME, else its own container's label. */
async function ownProject(env: NodeJS.ProcessEnv): Promise<string> {
  if (env['COMPOSE_PROJECT_NAME']) return env['COMPOSE_PROJECT_NAME'];
  // a container's host name is its short id unless compose sets another
  const id = hostname();
  const labels = await new Promise<Record<string, string>>((resolve, reject) => {
    request({ socketPath: SOCKET, path: `/containers/${id}/json`, timeout: 10_000 }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => {
        try {
          resolve((JSON.parse(text) as { Config?: { Labels?: Record<string, string> } }).Config?.Labels ?? {});
        } catch {
          reject(new Error(`the Engine API answered ${res.statusCode} for this container (${id})`));
        }
      });
    })
      .on('error', (error) => reject(new Error(`cannot reach the Docker Engine API on ${SOCKET}: ${error.message}; mount the socket (deploy/docker/compose.chaos.yml)`)))
      .end();
  });
  const project = labels['com.docker.compose.project'];
  if (!project) throw new Error(`this container (${id}) has no com.docker.compose.project label; set COMPOSE_PROJECT_NAME`);
  return project;
}

/**
 * `failsoft control-agent`: the control API of `failsoft up` for a docker compose platform, run in
 * its own container (deploy/docker/compose.chaos.yml) with the Docker socket mounted, listening on
 * the compose network for the gateways' console buttons. Every request needs the bearer token.
 */
export const controlAgentCommand: Command = {
  name: 'control-agent',
  summary: 'serve the control API for the console under docker compose (runs in the control-agent container)',
  usage: 'failsoft control-agent [--port <port>]',
  details: [
    `Needs ${CONTROL_TOKEN_ENV} (16+ characters) and the Docker socket at ${SOCKET}. Acts only on the containers of its own compose project.`,
    'WARNING: whoever holds the Docker socket is root on the host; run it only where you would run docker yourself.',
  ],
  flags: [{ name: 'port', type: 'string', valueName: '<port>', description: `port to listen on (default ${CONTROL_AGENT_PORT})` }],
  async run(flags, ctx) {
    const token = ctx.env[CONTROL_TOKEN_ENV] ?? '';
    const port = flags['port'] === undefined ? CONTROL_AGENT_PORT : Number(flags['port']);
    if (token.length < 16) {
      ctx.io.err(`failsoft control-agent: ${CONTROL_TOKEN_ENV} must be set to 16 or more characters (got ${token.length}); the control API never runs without a token`);
      return 78;
    }
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      ctx.io.err(`failsoft control-agent: --port must be a port number; got ${JSON.stringify(flags['port'])}`);
      return 2;
    }
    let project: string;
    if (!statSync(SOCKET, { throwIfNoEntry: false })?.isSocket()) {
      ctx.io.err(`failsoft control-agent: no Docker socket at ${SOCKET}; mount it (deploy/docker/compose.chaos.yml)`);
      return 78;
    }
    try {
      project = await ownProject(ctx.env);
    } catch (error) {
      ctx.io.err(`failsoft control-agent: ${(error as Error).message}`);
      return 1;
    }
    const target = new ComposeChaosTarget({ cwd: '/', env: { FRONT_DOOR_PORT: '8080' }, runner: engineApiRunner({ project, socketPath: SOCKET }) });
    const server = await startControlServer({ target, host: '0.0.0.0', port, token, log: (line) => ctx.io.out(line) });
    ctx.io.out(`[control-agent] control API of compose project ${project} on port ${port} (bearer token required)`);
    const keepAlive = setInterval(() => undefined, 1 << 30);
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    clearInterval(keepAlive);
    await server.close();
    ctx.io.out('[control-agent] stopped');
    return 0;
  },
};
