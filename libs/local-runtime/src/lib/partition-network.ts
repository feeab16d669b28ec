import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { InvalidRuntimeOptionsError, show } from './local-runtime.error';
import { BatchedOwnerLookup, type ClientProcess } from './socket-owner';

/** Name of every peer whose source address is not a registered node (the services, the CLI). */
export const CLIENTS = 'clients';

/** How a cut link treats a NEW connection: `refuse` resets it at once, `blackhole` holds it open and forwards nothing. */
export type CutMode = 'refuse' | 'blackhole';

/**
 * One relayed connection: who opened it (a node, or {@link CLIENTS}), the client process that owns
 * it once identified (`gateway-1`), to which node, and its two sockets.
 */
interface RelayedConnection {
  readonly from: string;
  process: string | undefined;
  identified: boolean;
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

/** The names in both sets. */
function intersect(a: ReadonlySet<string>, b: ReadonlySet<string>): Set<string> {
  return new Set([...a].filter((x) => b.has(x)));
}

/**
 * A set of TCP relays, one in front of every node (Redis server or sentinel), that can cut and
 * heal the links between chosen nodes. A relay names the peer of each connection by its SOURCE
 * address: every node opens its outgoing connections from a loopback address of its own
 * (`bind-source-addr 127.0.x.y`), any other source is {@link CLIENTS}. Cutting a link destroys
 * its existing connections at once (both directions, with a TCP reset) and refuses (or
 * blackholes) new ones until healed. Owns its servers and sockets: `shutdown()` closes them.
 *
 * With {@link identifyClients}, partitions may also name client PROCESSES (`gateway-1`): a
 * connection from a {@link CLIENTS} source is then attributed to the process that owns its client
 * socket ({@link findSocketOwners}); {@link CLIENTS} in a partition means every client not named
 * in it. Identities are resolved lazily: only while a cut names a process (at the cut for the
 * open connections, then at each accept), never in normal operation; an owner not found stays
 * {@link CLIENTS}.
 */
export class PartitionNetwork {
  private readonly nodes = new Map<string, RelayedNode>();
  private readonly bySource = new Map<string, string>();
  private readonly connections = new Set<RelayedConnection>();
  /** Cut links; for a link of {@link CLIENTS}, the client processes it does NOT cut (named elsewhere in its partition). */
  private readonly cut = new Map<string, ReadonlySet<string>>();
  private clientProcesses: () => readonly ClientProcess[] = () => [];
  /** The client processes named by the cuts now: only their sockets are looked for (any other client is {@link CLIENTS}). */
  private readonly named = new Set<string>();
  private readonly owners = new BatchedOwnerLookup(() => this.clientProcesses().filter((p) => this.named.has(p.name)));
  /** True while a cut names a client process: connections from {@link CLIENTS} are then identified. */
  private identityMatters = false;
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
    return [...this.cut.keys()].sort();
  }

  /**
   * Lets partitions name client processes: `processes()` lists them with their pids now (the
   * platform's supervised services). A name equal to a node's or {@link CLIENTS} is ignored.
   */
  identifyClients(processes: () => readonly ClientProcess[]): void {
    if (typeof processes !== 'function') throw new InvalidRuntimeOptionsError(`identifyClients needs a function listing the client processes; got ${show(processes)}`);
    this.clientProcesses = () => processes().filter((p) => !this.nodes.has(p.name) && p.name !== CLIENTS);
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
   * Cuts every link between a member of one group and a member of another (names of nodes, client
   * processes, or {@link CLIENTS}: every client not named in `groups`); links inside a group and
   * of unlisted nodes stay. Adds to the cuts already made. Existing connections over a cut link
   * are reset at once; those of client processes not identified yet once identified (the
   * returned promise resolves then).
   * @throws InvalidRuntimeOptionsError naming an unknown name, a name in two groups, or fewer than 2 groups; nothing is changed then.
   */
  partition(groups: readonly (readonly string[])[]): Promise<void> {
    const named = this.checkGroups(groups);
    for (let i = 0; i < groups.length; i++) {
      for (let j = i + 1; j < groups.length; j++) {
        for (const a of groups[i]) for (const b of groups[j]) this.addCut(a, b, named);
      }
    }
    if (named.size > 0) this.identityMatters = true;
    const newlyNamed = [...named].filter((name) => !this.named.has(name));
    for (const name of newlyNamed) this.named.add(name);
    if (newlyNamed.length > 0) {
      // a connection found to be of no named process may be of one named now
      for (const c of this.connections) if (c.process === undefined) c.identified = false;
    }
    if (!this.identityMatters) {
      this.dropCutConnections();
      return Promise.resolve();
    }
    // a client connection not identified yet may belong to a spared process: reset it only once known
    this.dropCutConnections((c) => c.from !== CLIENTS || c.identified);
    return this.identify([...this.connections]).then(() => this.dropCutConnections());
  }

  /** Heals every cut link (new connections are relayed again). */
  heal(): void {
    this.cut.clear();
    this.named.clear();
    this.identityMatters = false;
  }

  /** True when the link between `a` and `b` (node, process or {@link CLIENTS} names) is cut. */
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

  /** Validates the groups; returns the client processes they name. */
  private checkGroups(groups: readonly (readonly string[])[]): Set<string> {
    if (!Array.isArray(groups) || groups.length < 2) throw new InvalidRuntimeOptionsError(`a partition needs at least 2 groups of nodes; got ${show(groups)}`);
    const processes = new Set(this.clientProcesses().map((p) => p.name));
    const known = new Set([...this.nodes.keys(), CLIENTS, ...processes]);
    const seen = new Set<string>();
    for (const group of groups) {
      if (!Array.isArray(group) || group.length === 0) throw new InvalidRuntimeOptionsError(`every partition group must name at least one node; got ${show(groups)}`);
      for (const name of group) {
        if (!known.has(name)) throw new InvalidRuntimeOptionsError(`unknown node ${show(name)} in the partition; known: ${[...known].join(', ')}`);
        if (seen.has(name)) throw new InvalidRuntimeOptionsError(`node ${show(name)} is in two groups of the partition`);
        seen.add(name);
      }
    }
    return new Set([...seen].filter((name) => processes.has(name)));
  }

  /** Cuts link a|b; a {@link CLIENTS} link spares the processes `named` in the same partition (a link cut twice spares only those both spare). */
  private addCut(a: string, b: string, named: ReadonlySet<string>): void {
    const key = linkKey(a, b);
    const spared = a === CLIENTS || b === CLIENTS ? named : new Set<string>();
    const before = this.cut.get(key);
    this.cut.set(key, before === undefined ? spared : intersect(before, spared));
  }

  /** True when the connection crosses a cut link (by its process when identified, else by its source). */
  private crossesCut(connection: RelayedConnection): boolean {
    const { process, to } = connection;
    if (process === undefined) return this.isCut(connection.from, to);
    if (this.isCut(process, to)) return true;
    const spared = this.cut.get(linkKey(CLIENTS, to));
    return spared !== undefined && !spared.has(process);
  }

  /** Resets every live connection (of those `which` selects) that crosses a cut link. */
  private dropCutConnections(which: (connection: RelayedConnection) => boolean = () => true): void {
    for (const connection of [...this.connections]) {
      if (which(connection) && this.crossesCut(connection)) this.drop(connection);
    }
  }

  /**
   * Names the client process (among those the cuts name) of every connection from {@link CLIENTS}
   * not identified yet; lookups are batched (one /proc scan serves every connection waiting).
   */
  private async identify(connections: readonly RelayedConnection[]): Promise<void> {
    const pending = connections.filter((c) => c.from === CLIENTS && !c.identified && c.inbound.remotePort !== undefined && c.inbound.localPort !== undefined);
    await Promise.all(
      pending.map(async (c) => {
        c.process = await this.owners.ownerOf({ clientPort: c.inbound.remotePort as number, serverPort: c.inbound.localPort as number });
        c.identified = true;
      }),
    );
  }

  private node(name: string): RelayedNode {
    const node = this.nodes.get(name);
    if (!node) throw new InvalidRuntimeOptionsError(`unknown node ${show(name)}; known: ${this.names.join(', ')}`);
    return node;
  }

  private accept(to: string, inbound: Socket): void {
    const from = this.bySource.get(inbound.remoteAddress?.replace(/^::ffff:/, '') ?? '') ?? CLIENTS;
    inbound.on('error', () => undefined);
    if (from !== CLIENTS || !this.identityMatters || this.closed) return this.open({ from, process: undefined, identified: false, to, inbound, outbound: undefined });
    // a cut names a client process: find whose connection this is before relaying a byte
    const pending: RelayedConnection = { from, process: undefined, identified: false, to, inbound, outbound: undefined };
    void this.identify([pending]).then(() => {
      if (!inbound.destroyed) this.open(pending);
    });
  }

  /** Relays a new connection, or refuses (or blackholes) it when its link is cut or the node has no target. */
  private open(peer: RelayedConnection): void {
    const { to, inbound } = peer;
    const node = this.nodes.get(to);
    const target = node?.target;
    if (this.closed || target === undefined || this.crossesCut(peer)) {
      if (this.mode === 'blackhole' && !this.closed && target !== undefined) {
        this.connections.add(peer);
        inbound.on('close', () => this.connections.delete(peer));
        inbound.resume(); // read and drop
        return;
      }
      inbound.resetAndDestroy();
      return;
    }
    const outbound = createConnection({ host: node?.targetHost ?? this.host, port: target });
    const connection: RelayedConnection = { ...peer, outbound };
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
