import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { CLIENTS, PartitionNetwork } from './partition-network';
import { isInvalidRuntimeOptionsError } from './local-runtime.error';
import { waitUntil } from './wait-until';

/** An echo server: what the relays forward to. */
function echo(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    socket.on('error', () => undefined); // reset by a cut
    socket.pipe(socket);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })));
}

/** Connects to `port` FROM `localAddress`; resolves with the socket once connected, or the error. */
function connect(port: number, localAddress?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port, localAddress });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
    socket.on('error', () => undefined); // resets after the connect are observed through roundTrip / close
  });
}

/** Sends `text` and resolves with the echo (rejects when the connection is reset first). */
function roundTrip(socket: Socket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    socket.once('data', (data) => resolve(data.toString()));
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('closed')));
    socket.write(text);
  });
}

describe('PartitionNetwork (real TCP relays, peers named by source address)', () => {
  let network: PartitionNetwork;
  let target: { server: Server; port: number };
  const open: Socket[] = [];

  beforeEach(async () => {
    network = new PartitionNetwork();
    target = await echo();
  });
  afterEach(async () => {
    for (const s of open.splice(0)) s.destroy();
    await network.shutdown();
    await new Promise((resolve) => target.server.close(resolve));
  });

  async function nodes(): Promise<{ a: number; b: number }> {
    const a = await network.addNode('a', { source: '127.88.0.1', target: target.port });
    const b = await network.addNode('b', { source: '127.88.0.2', target: target.port });
    return { a, b };
  }

  it('relays, then a cut resets the existing connections of the link at once and refuses new ones; heal restores', async () => {
    const { a } = await nodes();
    const fromB = await connect(a, '127.88.0.2');
    const fromClient = await connect(a);
    open.push(fromB, fromClient);
    expect(await roundTrip(fromB, 'hello')).toBe('hello');
    const closed = new Promise((resolve) => fromB.once('close', resolve));
    network.partition([['a'], ['b']]);
    await closed; // reset by the cut, not by a timeout
    expect(network.cutLinks).toEqual(['a|b']);
    await expect(connect(a, '127.88.0.2').then((s) => roundTrip(s, 'x'))).rejects.toThrow();
    // the clients' link was not cut
    expect(await roundTrip(fromClient, 'still')).toBe('still');
    network.heal();
    const again = await connect(a, '127.88.0.2');
    open.push(again);
    expect(await roundTrip(again, 'back')).toBe('back');
  });

  it('cuts the clients (any unregistered source) like a node', async () => {
    const { b } = await nodes();
    network.partition([[CLIENTS], ['b']]);
    await expect(connect(b).then((s) => roundTrip(s, 'x'))).rejects.toThrow();
    const fromA = await connect(b, '127.88.0.1');
    open.push(fromA);
    expect(await roundTrip(fromA, 'peer')).toBe('peer');
  });

  it('blackhole mode holds new connections open and forwards nothing', async () => {
    await network.shutdown();
    network = new PartitionNetwork({ mode: 'blackhole' });
    const { a } = await nodes();
    network.partition([['a'], ['b']]);
    const held = await connect(a, '127.88.0.2');
    open.push(held);
    let got = '';
    held.on('data', (d) => (got += d.toString()));
    held.write('lost');
    await waitUntil(() => network.liveConnections === 1, { timeoutMs: 5000, message: 'the held connection to be counted' });
    expect(got).toBe('');
    expect(held.destroyed).toBe(false);
  });

  it('rejects unknown nodes, a node in two groups, a single group and bad names, changing nothing', async () => {
    await nodes();
    const cases: Array<[() => unknown, RegExp]> = [
      [() => network.partition([['a'], ['zz']]), /unknown node "zz" in the partition; known: a, b, clients/],
      [() => network.partition([['a'], ['a', 'b']]), /node "a" is in two groups/],
      [() => network.partition([['a', 'b']]), /at least 2 groups/],
      [() => network.partition([['a'], []]), /at least one node/],
    ];
    for (const [run, message] of cases) {
      let error: unknown;
      try {
        run();
      } catch (e) {
        error = e;
      }
      expect(isInvalidRuntimeOptionsError(error)).toBe(true);
      expect((error as Error).message).toMatch(message);
    }
    expect(network.cutLinks).toEqual([]);
    await expect(network.addNode('Bad Name')).rejects.toThrow(/partition node name must be/);
    await expect(network.addNode('a')).rejects.toThrow(/already registered/);
    expect(() => new PartitionNetwork({ mode: 'drop' as never })).toThrow('partition.mode must be "refuse" or "blackhole"; got "drop"');
  });
});
