import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** Largest JSON body the API reads (the body parser's limit), bytes. */
export const JSON_BODY_MAX_BYTES = 100 * 1024;
/** Most bytes of a refused over-size body read (and dropped) after the 413 before the connection is cut. */
export const REFUSED_BODY_BUDGET_BYTES = 1024 * 1024;
/** Room for the multipart framing and the caption around an image at its cap, bytes. */
const MULTIPART_FRAMING_BYTES = 1024 * 1024;

/**
 * Refuses a request whose declared `Content-Length` is over what its route accepts (an upload:
 * the multipart file limit plus framing; anything else: the 100 KB JSON limit) with 413 JSON
 * before any of the body is parsed. Without this the body parser answers the same 413 only after
 * reading the whole body: a 200 MiB body was read to its end. After the answer the rest of the body
 * is read and dropped up to {@link REFUSED_BODY_BUDGET_BYTES}, then the connection is cut: closing
 * at once, with the client's bytes unread, makes the kernel reset the connection, and a reset can
 * throw the 413 away before the client reads it (seen: "socket hang up" for a 200 KB JSON body).
 *
 * A body without a declared length (`Transfer-Encoding: chunked`) on a JSON route is counted as it
 * arrives: once it passes the limit the 413 goes out at once, nothing more reaches the body parser
 * (which would otherwise read the whole body before answering), and the rest is dropped within the
 * same budget; the connection is closed when the body ends or the budget is spent.
 * Wraps the server's request listener (the Express app).
 */
export function guardBodySizes(server: Server, uploadLimitBytes: number): void {
  const listeners = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners('request');
  const uploadMax = uploadLimitBytes + MULTIPART_FRAMING_BYTES;
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    const isUpload = req.method === 'POST' && /^\/api\/posts\/?(\?|$)/i.test(req.url ?? '');
    const max = isUpload ? uploadMax : JSON_BODY_MAX_BYTES;
    if (Number.isFinite(declared) && declared > max) {
      // the codes the route answers for an over-size body anyway: TOO_LARGE for an image, PAYLOAD_TOO_LARGE for JSON
      if (isUpload) return refuse(req, res, 'TOO_LARGE', `the upload is larger than ${max} bytes: images are accepted up to ${uploadLimitBytes} bytes`);
      return refuse(req, res, 'PAYLOAD_TOO_LARGE', `the request body is too large (JSON bodies are limited to ${JSON_BODY_MAX_BYTES / 1024} KB)`);
    }
    if (!isUpload && req.headers['content-length'] === undefined && req.headers['transfer-encoding'] !== undefined) {
      countChunkedBody(req, max, () => refuse(req, res, 'PAYLOAD_TOO_LARGE', `the request body is too large (JSON bodies are limited to ${JSON_BODY_MAX_BYTES / 1024} KB)`));
    }
    for (const listener of listeners) listener.call(server, req, res);
  });
}

/**
 * Counts the body bytes Node's HTTP parser hands to `req` (its `push`, before any reader sees them).
 * Past `max`, calls `onOver` once and withholds the rest from the readers (the body parser waits,
 * then fails quietly when the connection goes); when the body ends, the connection is closed once
 * the answer is written (a later request on it would follow a body nobody read).
 */
function countChunkedBody(req: IncomingMessage, max: number, onOver: () => void): void {
  const push = req.push.bind(req) as (chunk: unknown, encoding?: BufferEncoding) => boolean;
  let received = 0;
  let over = false;
  req.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
    if (chunk === null) {
      if (!over) return push(chunk, encoding);
      req.socket.destroySoon();
      return false;
    }
    if (over) return true; // dropped; refuse() cuts the connection past REFUSED_BODY_BUDGET_BYTES
    received += (chunk as { length: number }).length;
    if (received <= max) return push(chunk, encoding);
    over = true;
    onOver();
    return true;
  };
}

function refuse(req: IncomingMessage, res: ServerResponse, code: 'TOO_LARGE' | 'PAYLOAD_TOO_LARGE', message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  cutAfterBudget(req, REFUSED_BODY_BUDGET_BYTES);
  res.writeHead(413, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
  // Node reads the rest of the unread body after the answer (to keep the connection usable): the
  // budget bounds that read, and a body within it ends cleanly with the 413 delivered
  res.end(body);
}

/** Destroys `req`'s connection once more than `budget` bytes arrived on it before the request's body ended. */
function cutAfterBudget(req: IncomingMessage, budget: number): void {
  const socket = req.socket;
  let received = 0;
  const count = (chunk: Buffer): void => {
    received += chunk.length;
    if (received > budget) socket.destroy();
  };
  const stop = (): void => {
    socket.off('data', count);
    socket.off('close', stop); // a kept-alive connection may be refused many times
    req.off('end', stop);
  };
  socket.on('data', count);
  req.once('end', stop);
  socket.once('close', stop);
}
