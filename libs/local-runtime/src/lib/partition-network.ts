import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { InvalidRuntimeOptionsError, show } from './local-runtime.error';

/** Name of every peer whose source address is not a registered node (the services, the CLI). */
export const CLIENTS = 'clients';

/** How a cut link treats a NEW connection: `refuse` resets it at once, `blackhole` holds it open and forwards nothing. */
export type CutMode = 'refuse' | 'blackhole';

/** One relayed connection: who opened it, to which node, and its two sockets. */
interface RelayedConnection {
  readonly from: string;
  readonly to: string;
  readonly inbound: Socket;
  readonly outbound: Socket | undefined;
}

/** A node registered in the network: its relay (public port) in front of its real port. */
interface RelayedNode {
  readonly name: string;
  readonly source: string | undefined;
  readonly server: Server;
  readonly publicPort: number;
  readonly targetHost: string;
  target: number | undefined;
}

/** Options of {@link PartitionNetwork}. */
export interface PartitionNetworkOptions {
  /** How new connections over a cut link are treated (default `refuse`). */
  readonly mode?: CutMode;
  /** Loopback host the relays listen on and forward to (default 127.0.0.1). */
  readonly host?: string;
}

/** The key of the undirected link between two names. */
function linkKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

/**
 * A set of TCP relays, one in front of every node (Redis server or sentinel), that can cut and
 * heal the links between chosen nodes. A relay names the peer of each connection by its SOURCE
 * address: every node opens its outgoing connections from a loopback address of its own
 * (`bind-source-addr 127.0.x.y`), any other source is {@link CLIENTS}. Cutting a link destroys
 * its existing connections at once (both directions, with a TCP reset) and refuses (or
 * blackholes) new ones until healed. Owns its servers and sockets: `shutdown()` closes them.
 */
export class PartitionNetwork {
  private readonly nodes = new Map<string, RelayedNode>();
  private readonly bySource = new Map<string, string>();
  private readonly connections = new Set<RelayedConnection>();
  private readonly cut = new Set<string>();
  private readonly mode: CutMode;
  private readonly host: string;
  private closed = false;

  /** @param options cut mode and host; validated here. */
  constructor(options: PartitionNetworkOptions = {}) {
    const mode = options.mode ?? 'refuse';
    if (mode !== 'refuse' && mode !== 'blackhole') throw new InvalidRuntimeOptionsError(`partition.mode must be "refuse" or "blackhole"; got ${show(mode)}`);
    this.mode = mode;
    this.host = options.host ?? '127.0.0.1';
  }

  /** Every registered node name, in registration order. */
  get names(): string[] {
    return [...this.nodes.keys()];
  }

  /** The links cut now, as `a|b` pairs (sorted names). */
  get cutLinks(): string[] {
    return [...this.cut].sort();
  }

  /** Live relayed connections (for tests and status). */
  get liveConnections(): number {
    return this.connections.size;
  }

  /**
   * Registers node `name` and starts its relay on a free port (or `publicPort`); returns that port.
   * `source` is the loopback address the node connects FROM (its `bind-source-addr`); `target`
   * the node's real port (may be set later with {@link setTarget}, before it is started), on
   * `targetHost` (default the network's host; a node may listen on its own loopback address and
   * the relay on 127.0.0.1 with the SAME port, so nobody sees a different address).
   */
  async addNode(name: string, options: { source?: string; target?: number; targetHost?: string; publicPort?: number } = {}): Promise<number> {
    if (!/^[a-z][a-z0-9-]{0,31}$/.test(name) || name === CLIENTS) {
      throw new InvalidRuntimeOptionsError(`partition node name must be 1-32 of [a-z0-9-], starting with a letter, and not "${CLIENTS}"; got ${show(name)}`);
    }
    if (this.nodes.has(name)) throw new InvalidRuntimeOptionsError(`partition node ${show(name)} is already registered`);
    if (options.source !== undefined && this.bySource.has(options.source)) {
      throw new InvalidRuntimeOptionsError(`source address ${options.source} is already used by ${this.bySource.get(options.source)}`);
    }
    const server = createServer((socket) => this.accept(name, socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.publicPort ?? 0, this.host, () => resolve());
    });
    server.on('error', () => undefined);
    const address = server.address();
    const publicPort = typeof address === 'object' && address ? address.port : 0;
    this.nodes.set(name, { name, source: options.source, server, publicPort, target: options.target, targetHost: options.targetHost ?? this.host });
    if (options.source !== undefined) this.bySource.set(options.source, name);
    return publicPort;
  }

  /** Points the relay of `name` at the node's real port. */
  setTarget(name: string, target: number): void {
    this.node(name).target = target;
  }

  /** The relay (public) port of `name`. */
  publicPort(name: string): number {
    return this.node(name).publicPort;
  }

  /** The name of the node behind relay port `port`, if any. */
  nameAt(port: number): string | undefined {
    return [...this.nodes.values()].find((n) => n.publicPort === port)?.name;
  }

  /**
   * Cuts every link between a member of one group and a member of another (names of nodes or
   * {@link CLIENTS}); links inside a group and of unlisted nodes stay. Adds to the cuts already
   * made. Existing connections over a cut link are reset at once.
   * @throws InvalidRuntimeOptionsError naming an unknown node, a node in two groups, or fewer than 2 groups.
   */
  partition(groups: readonly (readonly string[])[]): void {
    this.checkGroups(groups);
    for (let i = 0; i < groups.length; i++) {
      for (let j = i + 1; j < groups.length; j++) {
        for (const a of groups[i]) for (const b of groups[j]) this.cut.add(linkKey(a, b));
      }
    }
    for (const connection of [...this.connections]) {
      if (this.isCut(connection.from, connection.to)) this.drop(connection);
    }
  }

  /** Heals every cut link (new connections are relayed again). */
  heal(): void {
    this.cut.clear();
  }

  /** True when the link between `a` and `b` is cut. */
  isCut(a: string, b: string): boolean {
    return this.cut.has(linkKey(a, b));
  }

  /** Closes every relay and connection. Idempotent. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const connection of [...this.connections]) this.drop(connection);
    await Promise.all([...this.nodes.values()].map((n) => new Promise<void>((resolve) => n.server.close(() => resolve()))));
  }

  private checkGroups(groups: readonly (readonly string[])[]): void {
    if (!Array.isArray(groups) || groups.length < 2) throw new InvalidRuntimeOptionsError(`a partition needs at least 2 groups of nodes; got ${show(groups)}`);
    const known = new Set([...this.nodes.keys(), CLIENTS]);
    const seen = new Set<string>();
    for (const group of groups) {
      if (!Array.isArray(group) || group.length === 0) throw new InvalidRuntimeOptionsError(`every partition group must name at least one node; got ${show(groups)}`);
      for (const name of group) {
        if (!known.has(name)) throw new InvalidRuntimeOptionsError(`unknown node ${show(name)} in the partition; known: ${[...known].join(', ')}`);
        if (seen.has(name)) throw new InvalidRuntimeOptionsError(`node ${show(name)} is in two groups of the partition`);
        seen.add(name);
      }
    }
  }

  private node(name: string): RelayedNode {
    const node = this.nodes.get(name);
    if (!node) throw new InvalidRuntimeOptionsError(`unknown node ${show(name)}; known: ${this.names.join(', ')}`);
    return node;
  }

  private accept(to: string, inbound: Socket): void {
    const from = this.bySource.get(inbound.remoteAddress?.replace(/^::ffff:/, '') ?? '') ?? CLIENTS;
    inbound.on('error', () => undefined);
    const node = this.nodes.get(to);
    const target = node?.target;
    if (this.closed || target === undefined || this.isCut(from, to)) {
      if (this.mode === 'blackhole' && !this.closed && target !== undefined) {
        const held: RelayedConnection = { from, to, inbound, outbound: undefined };
        this.connections.add(held);
        inbound.on('close', () => this.connections.delete(held));
        inbound.resume(); // read and drop
        return;
      }
      inbound.resetAndDestroy();
      return;
    }
    const outbound = createConnection({ host: node?.targetHost ?? this.host, port: target });
    const connection: RelayedConnection = { from, to, inbound, outbound };
    this.connections.add(connection);
    outbound.on('error', () => undefined);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
    const end = (): void => {
      if (!this.connections.delete(connection)) return;
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on('close', end);
    outbound.on('close', end);
  }

  /** Resets both sockets of a connection. */
  private drop(connection: RelayedConnection): void {
    this.connections.delete(connection);
    if (!connection.inbound.destroyed) connection.inbound.resetAndDestroy();
    if (connection.outbound && !connection.outbound.destroyed) connection.outbound.resetAndDestroy();
  }
}
