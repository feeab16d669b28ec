import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { CLIENTS, PartitionNetwork } from './partition-network';
import { isInvalidRuntimeOptionsError } from './local-runtime.error';
import { parseProcNetTcp } from './socket-owner';
import { waitUntil } from './wait-until';

/**
 * A child process holding connections to a relay, driven by stdin lines: `connect` opens one more
 * (it answers `open N` once connected), `send N text` writes on connection N; it prints `echo N
 * text` for every echo and `closed N` when a connection closes (reset by a cut or refused).
 */
const CLIENT_SCRIPT = `
const net = require('node:net');
const readline = require('node:readline');
const port = Number(process.argv[1]);
const sockets = [];
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, n, ...text] = line.split(' ');
  if (cmd === 'connect') {
    const i = sockets.length;
    const s = net.createConnection({ host: '127.0.0.1', port });
    sockets.push(s);
    s.on('connect', () => console.log('open ' + i));
    s.on('data', (d) => console.log('echo ' + i + ' ' + d.toString()));
    s.on('error', () => undefined);
    s.on('close', () => console.log('closed ' + i));
  }
  if (cmd === 'send') sockets[Number(n)].write(text.join(' '));
});
`;

/** One client child process and everything it printed. */
class ClientChild {
  readonly lines: string[] = [];
  private readonly child: ChildProcessWithoutNullStreams;

  constructor(relayPort: number) {
    this.child = spawn(process.execPath, ['-e', CLIENT_SCRIPT, String(relayPort)]);
    let buffered = '';
    this.child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      this.lines.push(...parts);
    });
  }

  get pid(): number {
    return this.child.pid as number;
  }

  /** Sends one command line (`connect`, `send N text`) without waiting. */
  send(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  /** Opens connection number `n` (0-based, in order) and waits until it is connected. */
  async connect(n: number): Promise<void> {
    this.child.stdin.write('connect\n');
    await this.until(`open ${n}`);
  }

  /** Sends `text` on connection `n` and waits for its echo. */
  async roundTrip(n: number, text: string): Promise<void> {
    this.child.stdin.write(`send ${n} ${text}\n`);
    await this.until(`echo ${n} ${text}`);
  }

  /** Waits until the child printed `line`. */
  until(line: string): Promise<unknown> {
    return waitUntil(() => this.lines.includes(line), { timeoutMs: 10_000, intervalMs: 20, message: `pid ${this.pid} to print "${line}" (printed: ${this.lines.join(' | ')})` });
  }

  stop(): void {
    this.child.kill('SIGKILL');
  }
}

/** An echo server: what the relay forwards to. */
function echo(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.pipe(socket);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })));
}

/** A connection from THIS process (owner not among the named processes: `clients`); resolves once it echoed `hello`. */
function ownConnection(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.on('error', reject);
    socket.once('data', () => resolve(socket));
    socket.once('connect', () => socket.write('hello'));
  });
}

describe('PartitionNetwork identifies client processes (real child processes, /proc)', () => {
  jest.setTimeout(30_000);
  let network: PartitionNetwork;
  let target: { server: Server; port: number };
  let relay: number;
  let one: ClientChild;
  let two: ClientChild;
  const own: Socket[] = [];

  beforeEach(async () => {
    network = new PartitionNetwork();
    target = await echo();
    relay = await network.addNode('redis-1', { source: '127.89.0.1', target: target.port });
    one = new ClientChild(relay);
    two = new ClientChild(relay);
    network.identifyClients(() => [
      { name: 'gateway-1', pid: one.pid },
      { name: 'gateway-2', pid: two.pid },
      { name: 'feed-1', pid: undefined }, // not running: known, owns nothing
    ]);
    await Promise.all([one.connect(0), two.connect(0)]);
    await Promise.all([one.roundTrip(0, 'a'), two.roundTrip(0, 'b')]);
  });
  afterEach(async () => {
    one.stop();
    two.stop();
    for (const s of own.splice(0)) s.destroy();
    await network.shutdown();
    await new Promise((resolve) => target.server.close(resolve));
  });

  it('cutting one process resets only its connections and refuses its new ones; heal lets it back', async () => {
    const mine = await ownConnection(relay);
    own.push(mine);
    await network.partition([['gateway-1'], ['redis-1']]);
    await one.until('closed 0'); // reset by the cut
    expect(network.cutLinks).toEqual(['gateway-1|redis-1']);
    await two.roundTrip(0, 'still'); // the other process keeps its connection
    await new Promise<void>((resolve, reject) => {
      mine.once('data', () => resolve());
      mine.once('close', () => reject(new Error('this process (clients) was cut')));
      mine.write('x');
    });
    one.send('connect');
    one.send('send 1 x');
    await one.until('closed 1'); // refused: reset at once
    expect(one.lines).not.toContain('echo 1 x');
    await two.connect(1);
    await two.roundTrip(1, 'new');
    network.heal();
    await one.connect(2);
    await one.roundTrip(2, 'back');
  });

  it('clients means every client not named in the partition: the named process keeps its link', async () => {
    const mine = await ownConnection(relay);
    own.push(mine);
    const mineClosed = new Promise((resolve) => mine.once('close', resolve));
    await network.partition([['gateway-1', 'redis-1'], [CLIENTS]]);
    await two.until('closed 0');
    await mineClosed; // this process is not a named one: clients
    await one.roundTrip(0, 'kept');
    expect(one.lines).not.toContain('closed 0');
    await expect(ownConnection(relay)).rejects.toThrow();
  });

  it('rejects an unknown name, listing the nodes and processes, and changes nothing', async () => {
    let error: unknown;
    try {
      void network.partition([['gateway-9'], ['redis-1']]);
    } catch (e) {
      error = e;
    }
    expect(isInvalidRuntimeOptionsError(error)).toBe(true);
    expect((error as Error).message).toBe('unknown node "gateway-9" in the partition; known: redis-1, clients, gateway-1, gateway-2, feed-1');
    expect(network.cutLinks).toEqual([]);
    await one.roundTrip(0, 'untouched');
    expect(() => network.identifyClients('gateway-1' as never)).toThrow(/identifyClients needs a function/);
  });

  it('reads the client side of a loopback connection from /proc/net/tcp text (port hex, inode in field 10)', () => {
    const text = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:9C40 0100007F:1A0B 01 00000000:00000000 00:00000000 00000000  1000        0 424242 1 0000000000000000 20 4 30 10 -1',
      '   1: 0100007F:1A0B 0100007F:9C40 01 00000000:00000000 00:00000000 00000000  1000        0 434343 1 0000000000000000 20 4 30 10 -1',
      'garbage',
    ].join('\n');
    expect(parseProcNetTcp(text, new Set(['40000>6667']))).toEqual(new Map([['40000>6667', '424242']]));
  });
});
