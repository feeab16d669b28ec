/** A line of a Redis log: `<pid>:<role> <day> <mon> <year> <time> <level> <message>` (level `#` is a warning or error). */
const LOG_LINE = /^\d+:[XCSM] \d{1,2} [A-Za-z]{3} \d{4} [\d:.]+ ([.\-*#]) (.*)$/;
/** Messages that say why a server could not start, in any line of the log. */
const FATAL = /address already in use|could not create server tcp listening socket|fatal|bad directive|can't|cannot|permission denied|no such file/i;

/**
 * The reason a Redis start failed, from the error of the start (`... exited (code 1) before
 * answering PING:` followed by the tail of the Redis log): the last warning line (`#`) of the log,
 * or the last line that reads like a fatal error, without its pid and time prefix; undefined when
 * the log says nothing useful. E.g. `Warning: Could not create server TCP listening socket
 * 127.0.0.1:7001: bind: Address already in use`.
 */
export function redisFailureReason(message: string): string | undefined {
  const lines = message.split('\n').slice(1).map((l) => l.trim()).filter(Boolean);
  let warning: string | undefined;
  let fatal: string | undefined;
  for (const line of lines) {
    const m = LOG_LINE.exec(line);
    const text = m ? m[2] : line;
    if (m?.[1] === '#') warning = text;
    if (FATAL.test(text)) fatal = text;
  }
  return fatal ?? warning;
}

/** `first line of the error (Redis log: "<reason>")`, or just the first line when the log says nothing. */
export function describeRedisFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const first = message.split('\n')[0].replace(/:$/, '');
  const reason = redisFailureReason(message);
  return reason === undefined ? first : `${first}; Redis log: "${reason}"`;
}
