/**
 * Just enough RESP2 (the Redis protocol) to read a sentinel's answer straight from the bytes
 * received: find where a reply ends, and decode only the fields asked for. A general client
 * (ioredis) turns every one of the ~240 fields of SENTINEL MASTER + REPLICAS into an object, which
 * made the sentinel check of a group commit cost more client CPU than its writes.
 */
import { StateError } from '../state.error';

/** Returned by {@link replyEnd} when the buffer ends before the reply does (wait for more bytes). */
export const INCOMPLETE = -1;

/** Bytes that are not RESP where a reply should start (the connection is out of step: drop it). */
export class RespProtocolError extends StateError {
  /** @param message where the bytes stopped being RESP. */
  constructor(message: string) {
    super('RESP_PROTOCOL', `${message}: the connection is out of step with the server; drop it and reconnect`);
  }
}

/** True when `error` is a {@link RespProtocolError}. */
export function isRespProtocolError(error: unknown): error is RespProtocolError {
  return error instanceof RespProtocolError;
}

const CR = 13;
const DOLLAR = 36;
const STAR = 42;
const PLUS = 43;
const MINUS = 45;
const COLON = 58;

/** Offset of the CR of the line starting at `from`, or INCOMPLETE. */
function lineEnd(buf: Buffer, from: number): number {
  for (let i = from; i < buf.length; i++) if (buf[i] === CR) return i + 1 < buf.length ? i : INCOMPLETE;
  return INCOMPLETE;
}

/** The integer written in `buf` from `from` to `to` (a length or a count, may be -1). */
function intAt(buf: Buffer, from: number, to: number): number {
  let i = from;
  const negative = buf[i] === MINUS;
  if (negative) i++;
  if (i >= to) throw new RespProtocolError(`expected a number at byte ${from}`);
  let n = 0;
  for (; i < to; i++) {
    const digit = buf[i] - 48;
    if (digit < 0 || digit > 9) throw new RespProtocolError(`expected a number at byte ${from}, found byte ${buf[i]}`);
    n = n * 10 + digit;
  }
  return negative ? -n : n;
}

/**
 * The offset just past the reply that starts at `at`, or {@link INCOMPLETE} when `buf` ends first.
 * @throws RespProtocolError when the bytes at `at` are not a RESP2 reply.
 */
export function replyEnd(buf: Buffer, at: number): number {
  if (at >= buf.length) return INCOMPLETE;
  const end = lineEnd(buf, at + 1);
  if (end === INCOMPLETE) return INCOMPLETE;
  const type = buf[at];
  if (type === PLUS || type === MINUS || type === COLON) return end + 2;
  if (type === DOLLAR) {
    const length = intAt(buf, at + 1, end);
    if (length < 0) return end + 2;
    const next = end + 2 + length + 2;
    return next <= buf.length ? next : INCOMPLETE;
  }
  if (type === STAR) {
    const count = intAt(buf, at + 1, end);
    let next = end + 2;
    for (let i = 0; i < count; i++) {
      next = replyEnd(buf, next);
      if (next === INCOMPLETE) return INCOMPLETE;
    }
    return next;
  }
  throw new RespProtocolError(`expected a RESP reply at byte ${at}, found byte ${type}`);
}

/** True when the complete reply at `at` is an error (`-ERR ...`). */
export function isErrorReply(buf: Buffer, at: number): boolean {
  return buf[at] === MINUS;
}

/** The text of the complete error or simple-string reply at `at`. */
export function lineText(buf: Buffer, at: number): string {
  return buf.toString('latin1', at + 1, lineEnd(buf, at + 1));
}

/** A bulk string's bytes: [start, end) in the buffer. */
interface Span {
  start: number;
  end: number;
}

/** Reads the bulk string header at `at` into `span`; returns the offset past it (a null bulk is an empty span). */
function bulkAt(buf: Buffer, at: number, span: Span): number {
  if (buf[at] !== DOLLAR) {
    // a field that is not a bulk string (never sent by a sentinel): skip it, read as empty
    const next = replyEnd(buf, at);
    span.start = span.end = next;
    return next;
  }
  const end = lineEnd(buf, at + 1);
  const length = intAt(buf, at + 1, end);
  span.start = end + 2;
  span.end = span.start + Math.max(0, length);
  return length < 0 ? end + 2 : span.end + 2;
}

/** True when the bytes in `span` are `key` (ASCII). */
function spanIs(buf: Buffer, span: Span, key: string): boolean {
  if (span.end - span.start !== key.length) return false;
  for (let i = 0; i < key.length; i++) if (buf[span.start + i] !== key.charCodeAt(i)) return false;
  return true;
}

/**
 * The values of `keys` in the complete flat map reply at `at` (an array [k, v, k, v ...] of bulk
 * strings, as SENTINEL MASTER sends), in the order of `keys`, '' when absent; only they are decoded.
 * Returns them with the offset just past the reply. A reply that is not an array gives every key ''.
 */
export function mapFields(buf: Buffer, at: number, keys: readonly string[]): { values: string[]; next: number } {
  const values = keys.map(() => '');
  if (buf[at] !== STAR) return { values, next: replyEnd(buf, at) };
  const end = lineEnd(buf, at + 1);
  const count = intAt(buf, at + 1, end);
  let next = end + 2;
  const name: Span = { start: 0, end: 0 };
  const value: Span = { start: 0, end: 0 };
  for (let i = 0; i + 1 < count; i += 2) {
    next = bulkAt(buf, next, name);
    next = bulkAt(buf, next, value);
    for (let k = 0; k < keys.length; k++) {
      if (spanIs(buf, name, keys[k])) {
        values[k] = buf.toString('utf8', value.start, value.end);
        break;
      }
    }
  }
  if (count % 2 === 1) next = replyEnd(buf, next);
  return { values, next };
}

/**
 * The fields `keys` of every map in the complete array-of-maps reply at `at` (as SENTINEL REPLICAS
 * sends). A reply that is not an array gives no maps.
 */
export function mapListFields(buf: Buffer, at: number, keys: readonly string[]): string[][] {
  if (buf[at] !== STAR) return [];
  const end = lineEnd(buf, at + 1);
  const count = Math.max(0, intAt(buf, at + 1, end));
  const maps: string[][] = [];
  let next = end + 2;
  for (let i = 0; i < count; i++) {
    const map = mapFields(buf, next, keys);
    maps.push(map.values);
    next = map.next;
  }
  return maps;
}

/** The RESP2 encoding of one command (an array of bulk strings). */
export function encodeCommand(words: readonly string[]): Buffer {
  let text = `*${words.length}\r\n`;
  for (const word of words) text += `$${Buffer.byteLength(word)}\r\n${word}\r\n`;
  return Buffer.from(text);
}
