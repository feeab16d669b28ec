import { connect, type Socket } from 'node:net';

/** A raw TCP connection to a gateway: what it received so far, and whether it is closed. */
export interface RawConnection {
  socket: Socket;
  received: string;
  closed: boolean;
}

/** Opens a raw connection to 127.0.0.1:`port` (resolves once connected; errors after that are only recorded as a close). */
export function openRaw(port: number): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const raw: RawConnection = { socket, received: '', closed: false };
    socket.on('data', (chunk: Buffer) => (raw.received += chunk.toString('latin1')));
    socket.on('close', () => (raw.closed = true));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve(raw));
    socket.once('error', reject);
  });
}
