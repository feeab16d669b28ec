import type { Redis } from 'ioredis';

/**
 * Closes an ioredis client gracefully: QUIT when connected, then disconnect without reconnecting,
 * resolving once it has ended; both bounded by `timeoutMs` (the timer is unref()ed).
 */
export async function closeConnection(connection: Redis, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
    timer.unref();
  });
  if (connection.status === 'ready') await Promise.race([connection.quit().catch(() => undefined), deadline]);
  if (connection.status !== 'end') {
    const ended = new Promise<void>((resolve) => connection.once('end', () => resolve()));
    connection.disconnect(false);
    await Promise.race([ended, deadline]);
  }
  clearTimeout(timer);
}
