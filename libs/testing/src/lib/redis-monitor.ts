import { connect } from 'node:net';

/** A raw `MONITOR` connection (see {@link monitorRedis}). */
export interface RedisMonitor {
  /**
   * Every command the server ran since MONITOR was acknowledged, as the server prints it:
   * `1796542304.141470 [0 127.0.0.1:46318] "GET" "failsoft:post:p_x"` (arguments quoted and escaped).
   */
  readonly lines: readonly string[];
  /** Closes the connection. */
  stop(): void;
}

/**
 * Opens a `MONITOR` connection on a plain socket and resolves once the server acknowledged it (from
 * then on every command the server runs is in `lines`). A plain socket, not ioredis: ioredis'
 * `monitor()` can fail with "Command queue state error" when a monitored command arrives right
 * after the MONITOR reply.
 * @throws Error naming the address when the server refuses or does not answer within `timeoutMs`.
 */
export function monitorRedis(port: number, host = '127.0.0.1', timeoutMs = 5000): Promise<RedisMonitor> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host });
    const lines: string[] = [];
    let buffer = '';
    let ready = false;
    const fail = (message: string): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(new Error(`MONITOR on ${host}:${port}: ${message}`));
    };
    const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
    timer.unref();
    socket.setEncoding('utf8');
    socket.on('error', (error) => {
      if (!ready) fail(error.message);
    });
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (let end = buffer.indexOf('\r\n'); end >= 0; end = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (ready) {
          if (line.startsWith('+')) lines.push(line.slice(1));
        } else if (line === '+OK') {
          ready = true;
          clearTimeout(timer);
          resolve({ lines, stop: () => socket.destroy() });
        } else {
          fail(line.startsWith('-') ? line.slice(1) : `unexpected reply ${JSON.stringify(line)}`);
          return;
        }
      }
    });
    socket.write('MONITOR\r\n');
  });
}
