import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redisCommand } from './redis-command';
import { startSentinelTopology, type SentinelTopology } from './sentinel-topology';
import { testTopologyAuth } from './topology-auth';

jest.setTimeout(60_000);

/** What an authenticated local platform runs: every node behind a password, failover intact. */
describe('startSentinelTopology with auth (real redis-server and sentinels)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'failsoft-auth-spec-'));
  const auth = testTopologyAuth(dir);
  let topology: SentinelTopology;

  beforeAll(async () => {
    topology = await startSentinelTopology({ replicas: 1, sentinels: 3, quorum: 2, auth });
  });
  afterAll(async () => {
    await topology?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers NOAUTH without a password on every data node and sentinel', async () => {
    for (const node of [...topology.servers, ...topology.sentinels]) {
      const reply = await redisCommand(node.port, ['PING']).catch((error: Error) => error.message);
      expect({ port: node.port, reply }).toEqual({ port: node.port, reply: expect.stringMatching(/^NOAUTH/) });
    }
  });

  it('fails over after SIGKILL of the master (sentinels authenticate), and the restarted node rejoins as a replica (replication authenticates)', async () => {
    const old = await topology.killMaster('SIGKILL');
    const promoted = await topology.waitForFailover(old);
    expect(promoted.port).not.toBe(old.port);
    const restarted = await topology.restart(old);
    await topology.waitForReplica(restarted);
  });
});

describe('topology auth options', () => {
  it('refuses a bad field at construction, naming it and never showing a password', async () => {
    const error = await startSentinelTopology({ auth: { aclFile: '/x', adminPassword: 'has a space', replicationUser: 'r', replicationPassword: 'p', monitorUser: 'm', monitorPassword: 'p', sentinelPassword: 'p' } }).catch((e: Error) => e);
    expect((error as Error).message).toBe('topology.auth.adminPassword must be a non-empty string without spaces or quotes; got 11 characters');
    const missing = await startSentinelTopology({ auth: { aclFile: '/x' } as never }).catch((e: Error) => e);
    expect((missing as Error).message).toBe('topology.auth.adminPassword must be a non-empty string without spaces or quotes; got undefined');
  });
});
