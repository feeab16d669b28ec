import { Socket, connect } from 'node:net';
import { LocalRuntimeError, WaitTimeoutError } from './local-runtime.error';

/** A decoded RESP2 reply: simple/bulk strings, integers, nil, arrays, or an Error inside an array. */
export type RespValue = string | number | null | Error | RespValue[];

/** Raised when Redis answers a command with an error reply (`-ERR ...`). */
export class RedisReplyError extends LocalRuntimeError {
  /** @param reply the error line Redis sent. */
  constructor(readonly reply: string) {
    super('REDIS_REPLY', reply);
  }
}

/** Encodes a command as a RESP array of bulk strings. */
function encode(args: ReadonlyArray<string | number>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.from(String(arg));
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** Parses one RESP value at `offset`; returns undefined when more bytes are needed. */
function parse(buf: Buffer, offset: number): { value: RespValue; next: number } | undefined {
  const lineEnd = buf.indexOf('\r\n', offset);
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buf[offset]);
  const line = buf.toString('utf8', offset + 1, lineEnd);
  const after = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: line, next: after };
    case '-':
      return { value: new RedisReplyError(line), next: after };
    case ':':
      return { value: Number(line), next: after };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, next: after };
      if (buf.length < after + length + 2) return undefined;
      return { value: buf.toString('utf8', after, after + length), next: after + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next: after };
      const items: RespValue[] = [];
      let next = after;
      for (let i = 0; i < count; i++) {
        const item = parse(buf, next);
        if (!item) return undefined;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new LocalRuntimeError('REDIS_REPLY', `unexpected RESP type byte ${JSON.stringify(type)}`);
  }
}

/** Options of {@link redisCommand}. */
export interface RedisCommandOptions {
  /** Host to connect to (default 127.0.0.1). */
  host?: string;
  /** Give up (and close the socket) after this many milliseconds (default 2000). */
  timeoutMs?: number;
  /** AUTH first with this password (an ACL user's with `username`, else the `default` user's / requirepass). */
  password?: string;
  /** ACL user of `password`. */
  username?: string;
}

/**
 * Sends ONE command to a Redis server or sentinel on a fresh connection and returns the decoded
 * reply. Stateless on purpose (no reconnects, no queue): the runtime uses it to probe servers that
 * may be dead, hung or mid-failover. Refuses port 6379 (the machine's own Redis).
 * @throws RedisReplyError on an error reply, WaitTimeoutError on timeout, or the socket error.
 */
export function redisCommand(port: number, args: ReadonlyArray<string | number>, options: RedisCommandOptions = {}): Promise<RespValue> {
  const host = options.host ?? '127.0.0.1';
  const timeoutMs = options.timeoutMs ?? 2000;
  if (port === 6379) return Promise.reject(new LocalRuntimeError('INVALID_OPTIONS', 'redisCommand refuses port 6379: the runtime never touches the machine\'s own Redis'));
  return new Promise<RespValue>((resolve, reject) => {
    let buffer = Buffer.alloc(0);
    let settled = false;
    const socket: Socket = connect({ host, port });
    const finish = (error: Error | undefined, value?: RespValue): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(value as RespValue);
    };
    const timer = setTimeout(
      () => finish(new WaitTimeoutError(`redis ${host}:${port} did not answer ${String(args[0])} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    timer.unref();
    const password = options.password;
    // AUTH and the command pipelined on one connection: the first reply is AUTH's
    let pendingAuth = password !== undefined;
    socket.on('connect', () => {
      const auth = password === undefined ? [] : [encode(['AUTH', ...(options.username === undefined ? [] : [options.username]), password])];
      socket.write(Buffer.concat([...auth, encode(args)]));
    });
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      try {
        let parsed = parse(buffer, 0);
        if (parsed && pendingAuth) {
          if (parsed.value instanceof Error) return finish(new RedisReplyError(`AUTH${options.username ? ` as ${options.username}` : ''} refused by ${host}:${port}: ${parsed.value.message}`));
          pendingAuth = false;
          buffer = buffer.subarray(parsed.next);
          parsed = parse(buffer, 0);
        }
        if (!parsed) return;
        if (parsed.value instanceof Error) finish(parsed.value);
        else finish(undefined, parsed.value);
      } catch (error) {
        finish(error as Error);
      }
    });
    socket.on('error', (error) => finish(error));
    socket.on('close', () => finish(new Error(`redis ${host}:${port} closed the connection before answering ${String(args[0])}`)));
  });
}

/** Parses an `INFO` reply into a field map (`role`, `connected_slaves`, ...). */
export function parseInfo(info: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of info.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return fields;
}

/** Turns a flat `[k1, v1, k2, v2, ...]` reply (e.g. SENTINEL MASTER) into a map. */
export function pairsToMap(reply: RespValue): Record<string, string> {
  const map: Record<string, string> = {};
  if (!Array.isArray(reply)) return map;
  for (let i = 0; i + 1 < reply.length; i += 2) map[String(reply[i])] = String(reply[i + 1]);
  return map;
}
