import { connect, type Socket } from 'node:net';
import { DOWN_FLAGS, type SentinelAnswer } from './sentinel-answer';
import { encodeCommand, INCOMPLETE, isErrorReply, isRespProtocolError, mapFields, mapListFields, replyEnd } from './resp-scan';

/** How to reach one sentinel and what to ask it. */
export interface SentinelLinkOptions {
  readonly host: string;
  readonly port: number;
  readonly masterName: string;
  readonly username?: string;
  readonly password?: string;
  /** Longest wait for an answer (connecting included), ms; also the pause before reconnecting after a failed connect (at most 200 ms). */
  readonly timeoutMs: number;
}

/** One question in flight: how many replies it still waits for, and how to answer. */
interface Pending {
  /** Replies this entry takes off the connection (1 for AUTH, 2 for a question). */
  readonly replies: number;
  readonly settle: (answer: SentinelAnswer | undefined) => void;
}

const MASTER_KEYS = ['runid', 'flags', 'ip', 'port'] as const;
const REPLICA_KEYS = ['flags', 'slave-priority', 'ip', 'port'] as const;
const EMPTY = Buffer.alloc(0);

/**
 * A lean connection to ONE sentinel that asks one question, the one behind the sentinel check of
 * durable writes: SENTINEL MASTER + SENTINEL REPLICAS in one write, read straight from the bytes
 * (resp-scan.ts) with only the eight fields needed decoded. Through ioredis that question cost about
 * 120 µs of client CPU per sentinel (objects for ~240 fields, a pipeline, timers), about as much
 * as the group commit's own 24 writes; here it costs about a third of that.
 *
 * Questions are answered in order on one socket, opened on first use (with AUTH first when a
 * password is set). An answer is `undefined` when the sentinel does not give one: refused or lost
 * connection, an error reply, or no answer within `timeoutMs` (then the socket is dropped, so a
 * late reply is never taken for the next question's). After a failed connect (or a refused AUTH),
 * questions are answered `undefined` at once for a short pause instead of reconnecting each time.
 * `shutdown()` closes the socket.
 */
export class SentinelLink {
  private socket: Socket | undefined;
  private received: Buffer = EMPTY;
  private readonly pending: Pending[] = [];
  private readonly question: Buffer;
  private retryAt = 0;
  private closed = false;

  /** @param options the sentinel, the master name asked about, credentials and timeout. */
  constructor(private readonly options: SentinelLinkOptions) {
    this.question = Buffer.concat([encodeCommand(['SENTINEL', 'MASTER', options.masterName]), encodeCommand(['SENTINEL', 'REPLICAS', options.masterName])]);
  }

  /** What the sentinel says of the master now, or `undefined` when it gives no answer (see the class). */
  ask(): Promise<SentinelAnswer | undefined> {
    if (this.closed || Date.now() < this.retryAt) return Promise.resolve(undefined);
    const socket = this.socket ?? this.open();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        resolve(undefined);
        this.drop(socket);
      }, this.options.timeoutMs);
      timer.unref();
      this.pending.push({
        replies: 2,
        settle: (answer) => {
          clearTimeout(timer);
          resolve(answer);
        },
      });
      socket.write(this.question);
    });
  }

  /** Closes the connection; questions in flight and later ones are answered `undefined`. */
  shutdown(): void {
    this.closed = true;
    if (this.socket) this.drop(this.socket);
  }

  /** Opens the socket (writes queue until it connects), AUTH first when a password is set. */
  private open(): Socket {
    const { host, port, username, password } = this.options;
    const socket = connect({ host, port });
    socket.setNoDelay(true);
    let connected = false;
    socket.once('connect', () => (connected = true));
    socket.on('data', (chunk: Buffer) => this.onData(socket, chunk));
    socket.on('error', () => undefined); // 'close' follows and answers what waits
    socket.on('close', () => {
      if (!connected) this.retryAt = Date.now() + Math.min(200, this.options.timeoutMs);
      if (this.socket === socket) this.reset();
    });
    this.socket = socket;
    if (password !== undefined) {
      this.pending.push({ replies: 1, settle: (ok) => ok === undefined && this.refuse(socket) });
      socket.write(encodeCommand(username === undefined ? ['AUTH', password] : ['AUTH', username, password]));
    }
    return socket;
  }

  /** Takes every complete answer off the received bytes, oldest question first. */
  private onData(socket: Socket, chunk: Buffer): void {
    if (socket !== this.socket) return;
    this.received = this.received.length === 0 ? chunk : Buffer.concat([this.received, chunk]);
    try {
      let at = 0;
      while (this.pending.length > 0) {
        const ends: number[] = [];
        let next = at;
        for (let i = 0; i < this.pending[0].replies && next !== INCOMPLETE; i++) {
          next = replyEnd(this.received, next);
          if (next !== INCOMPLETE) ends.push(next);
        }
        if (next === INCOMPLETE) break;
        const entry = this.pending.shift() as Pending;
        entry.settle(entry.replies === 1 ? authAnswer(this.received, at) : readAnswer(this.received, at, ends[0]));
        at = next;
      }
      this.received = at >= this.received.length ? EMPTY : this.received.subarray(at);
    } catch (error) {
      if (!isRespProtocolError(error)) throw error;
      this.drop(socket);
    }
  }

  /** AUTH refused: drop the socket and pause as after a failed connect (a wrong password stays wrong). */
  private refuse(socket: Socket): void {
    this.retryAt = Date.now() + Math.min(200, this.options.timeoutMs);
    this.drop(socket);
  }

  /** Drops the socket: every question in flight is answered `undefined`. */
  private drop(socket: Socket): void {
    socket.destroy();
    if (this.socket === socket) this.reset();
  }

  private reset(): void {
    this.socket = undefined;
    this.received = EMPTY;
    for (const entry of this.pending.splice(0)) entry.settle(undefined);
  }
}

/** AUTH's reply: a non-undefined marker when accepted, undefined when refused. */
function authAnswer(buf: Buffer, at: number): SentinelAnswer | undefined {
  return isErrorReply(buf, at) ? undefined : { runId: '', address: '', masterFlags: '', promotable: [] };
}

/** The answer in the two complete replies at `at` (SENTINEL MASTER, then REPLICAS from `second`). */
function readAnswer(buf: Buffer, at: number, second: number): SentinelAnswer | undefined {
  if (isErrorReply(buf, at) || isErrorReply(buf, second)) return undefined;
  const [runId, masterFlags, ip, port] = mapFields(buf, at, MASTER_KEYS).values;
  const promotable: string[] = [];
  for (const [flags, priority, ip, port] of mapListFields(buf, second, REPLICA_KEYS)) {
    if (!DOWN_FLAGS.test(flags) && priority !== '0') promotable.push(`${ip}:${port}`);
  }
  return { runId, address: `${ip}:${port}`, masterFlags, promotable };
}
