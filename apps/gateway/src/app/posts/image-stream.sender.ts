import type { ImageStream } from './posts.service';

/** What sending an image uses of the raw (Node) HTTP response. */
export interface ImageResponse {
  readonly destroyed: boolean;
  setHeader(name: string, value: string | number): unknown;
  write(chunk: Buffer): boolean;
  end(chunk?: Buffer): unknown;
  destroy(): unknown;
  once(event: 'drain' | 'close', listener: () => void): unknown;
  off(event: 'drain' | 'close', listener: () => void): unknown;
}

/** Resolves once `response` can take more ('drain') or is gone ('close'). */
function writable(response: ImageResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.once('drain', done);
    response.once('close', done);
  });
}

/**
 * Pipes an original streamed from upload to the HTTP response with backpressure: a chunk is pulled
 * from upstream only once the response took the previous one (`write` returned true, or after
 * 'drain'), so a client that reads slowly slows the upstream stream instead of filling this
 * process' memory. The headers (Content-Length from the stream's header) must be set by the
 * caller. A client gone mid-way (response destroyed, e.g. by the send timeout) cancels the
 * upstream stream; an upstream failure mid-way, or a stream shorter or longer than announced,
 * destroys the response, so the client sees a truncated body rather than a complete-looking one.
 * Never throws.
 */
export async function sendImageStream(image: ImageStream, response: ImageResponse): Promise<void> {
  let sent = 0;
  try {
    for await (const chunk of image.chunks) {
      if (response.destroyed) break; // leaving the loop cancels the upstream stream
      sent += chunk.length;
      if (sent > image.size) break;
      if (!response.write(chunk)) await writable(response);
    }
  } catch {
    // upstream failed mid-way: the status line is out, only cutting the connection can tell the client
  }
  image.cancel();
  if (response.destroyed) return;
  if (sent === image.size) response.end();
  else response.destroy();
}
