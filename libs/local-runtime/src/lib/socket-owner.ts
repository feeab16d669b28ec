import { readdir, readFile, readlink } from 'node:fs/promises';

/** One loopback TCP connection seen from the server: the client's (source) port and the server's port. */
export interface LoopbackPeer {
  readonly clientPort: number;
  readonly serverPort: number;
}

/** A process that may own client sockets: its name (`gateway-1`) and pid (undefined when not running). */
export interface ClientProcess {
  readonly name: string;
  readonly pid: number | undefined;
}

/** The key of a peer in the maps below: `<clientPort>><serverPort>`. */
export function peerKey(peer: LoopbackPeer): string {
  return `${peer.clientPort}>${peer.serverPort}`;
}

/**
 * The socket inode of every wanted peer found in the text of `/proc/net/tcp` or `/proc/net/tcp6`:
 * the CLIENT side of a connection has the local port `clientPort` and the remote port `serverPort`.
 * Lines that do not parse are skipped. Returns peer key → inode.
 */
export function parseProcNetTcp(text: string, wanted: ReadonlySet<string>): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10 || !/^\d+:$/.test(fields[0])) continue;
    const local = Number.parseInt(fields[1].split(':')[1] ?? '', 16);
    const remote = Number.parseInt(fields[2].split(':')[1] ?? '', 16);
    const key = peerKey({ clientPort: local, serverPort: remote });
    if (wanted.has(key) && /^\d+$/.test(fields[9]) && fields[9] !== '0') found.set(key, fields[9]);
  }
  return found;
}

/** Reads a file, '' when it cannot be read (not Linux, no permission). */
async function readOrEmpty(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return '';
  }
}

/** The socket inodes a process holds open (`/proc/<pid>/fd/* -> socket:[inode]`); empty when unreadable. */
async function socketInodes(pid: number): Promise<Set<string>> {
  const inodes = new Set<string>();
  let fds: string[];
  try {
    fds = await readdir(`/proc/${pid}/fd`);
  } catch {
    return inodes; // gone, or not Linux
  }
  await Promise.all(
    fds.map(async (fd) => {
      const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const match = /^socket:\[(\d+)\]$/.exec(link);
      if (match) inodes.add(match[1]);
    }),
  );
  return inodes;
}

/**
 * Which of `processes` owns the client end of each loopback connection in `peers` (Linux: the
 * client port → the socket inode in /proc/net/tcp(6) → the process whose /proc/<pid>/fd holds
 * `socket:[inode]`). Reads /proc once per call, whatever the number of peers. A peer whose owner
 * is not among `processes` (or cannot be read: not Linux, the process is gone) is left out.
 * Returns peer key ({@link peerKey}) → process name.
 */
export async function findSocketOwners(peers: readonly LoopbackPeer[], processes: readonly ClientProcess[]): Promise<Map<string, string>> {
  const owners = new Map<string, string>();
  const running = processes.filter((p): p is { name: string; pid: number } => p.pid !== undefined);
  if (peers.length === 0 || running.length === 0) return owners;
  const wanted = new Set(peers.map(peerKey));
  const inodes = parseProcNetTcp(await readOrEmpty('/proc/net/tcp'), wanted);
  if (inodes.size < wanted.size) for (const [key, inode] of parseProcNetTcp(await readOrEmpty('/proc/net/tcp6'), wanted)) inodes.set(key, inode); // a dual-stack client socket
  if (inodes.size === 0) return owners;
  const held = await Promise.all(running.map(async (p) => ({ name: p.name, inodes: await socketInodes(p.pid) })));
  for (const [key, inode] of inodes) {
    const owner = held.find((p) => p.inodes.has(inode));
    if (owner) owners.set(key, owner.name);
  }
  return owners;
}

/** One peer waiting for its owner. */
interface Waiting {
  readonly peer: LoopbackPeer;
  readonly resolve: (owner: string | undefined) => void;
}

/**
 * Finds socket owners ({@link findSocketOwners}) with at most ONE /proc scan in flight: peers asked
 * for while a scan runs wait for the next one, which serves them all, so a burst of reconnects
 * costs a few scans, not one each.
 */
export class BatchedOwnerLookup {
  private queue: Waiting[] = [];
  private running = false;

  /** @param candidates the processes that may own the sockets, read at each scan. */
  constructor(private readonly candidates: () => readonly ClientProcess[]) {}

  /** The name of the candidate owning the client end of `peer`; undefined when none does. */
  ownerOf(peer: LoopbackPeer): Promise<string | undefined> {
    return new Promise((resolve) => {
      this.queue.push({ peer, resolve });
      if (!this.running) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        const owners = await findSocketOwners(
          batch.map((w) => w.peer),
          this.candidates(),
        ).catch(() => new Map<string, string>());
        for (const w of batch) w.resolve(owners.get(peerKey(w.peer)));
      }
    } finally {
      this.running = false;
    }
  }
}
