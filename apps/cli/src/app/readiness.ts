import { request } from 'node:http';

/** Result of one HTTP probe. */
export interface ProbeResult {
  /** HTTP status, or undefined when there was no answer. */
  status: number | undefined;
  /** Why there was no answer (e.g. ECONNREFUSED, timeout). */
  error: string | undefined;
  /** The body (first 2 KB). */
  body: string;
}

/** GET `url` with a timeout; never throws. */
export function probe(url: string, timeoutMs = 1000): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (result: ProbeResult): void => {
      if (done) return;
      done = true;
      resolve(result);
    };
    const req = request(url, { method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 2048) body += chunk;
      });
      res.on('end', () => finish({ status: res.statusCode, error: undefined, body }));
      res.on('error', (error) => finish({ status: res.statusCode, error: error.message, body }));
    });
    req.on('timeout', () => {
      req.destroy(new Error(`no answer within ${timeoutMs} ms`));
    });
    req.on('error', (error: NodeJS.ErrnoException) => finish({ status: undefined, error: error.code ?? error.message, body: '' }));
    req.end();
  });
}

/** Something whose `/livez` and `/readyz` are awaited. */
export interface ReadinessTarget {
  id: string;
  /** `http://127.0.0.1:<port>` */
  baseUrl: string;
  /** Shown when it is not ready in time. */
  logFile?: string;
  /** A reason it will never get ready (e.g. "exited with code 78"), checked on each round. */
  failure?: () => string | undefined;
}

/** A target that did not get ready, and why. */
export interface NotReady {
  id: string;
  reason: string;
  logFile: string | undefined;
}

/** Why a target is not ready, from its last probes. */
export function notReadyReason(livez: ProbeResult | undefined, readyz: ProbeResult | undefined): string {
  if (!livez) return 'not probed yet';
  if (livez.status === undefined) return `not answering on its HTTP port (${livez.error ?? 'no answer'})`;
  if (livez.status !== 200) return `GET /livez answered ${livez.status}`;
  if (!readyz) return 'GET /livez is 200, /readyz not probed yet';
  if (readyz.status === undefined) return `GET /livez is 200 but /readyz did not answer (${readyz.error ?? 'no answer'})`;
  if (readyz.status === 404) return 'GET /livez is 200 but /readyz is 404 (no readiness endpoint yet?)';
  const body = readyz.body.replace(/\s+/g, ' ').trim().slice(0, 200);
  return `GET /livez is 200 but /readyz is ${readyz.status}${body ? `: ${body}` : ''}`;
}

/** Options of {@link waitForReady}. */
export interface WaitForReadyOptions {
  /** Give up after this long (bounded wait). */
  timeoutMs: number;
  /** Pause between probe rounds (default 100 ms). */
  intervalMs?: number;
  /** Called once per target when it becomes ready, with its position (1-based) and the wait so far. */
  onReady?: (target: ReadinessTarget, position: number, total: number, elapsedMs: number) => void;
  /** Called every `progressEveryMs` with the targets still pending. */
  onWaiting?: (pending: string[], elapsedMs: number) => void;
  /** Default 5000 ms. */
  progressEveryMs?: number;
  /** Stop waiting early (e.g. Ctrl-C). */
  signal?: AbortSignal;
}

/**
 * Probes every target's `/livez`, then `/readyz`, until both answer 200 or `timeoutMs` passes.
 * Never throws: resolves with the ids that got ready and, for the others, the reason and log file.
 */
export async function waitForReady(targets: readonly ReadinessTarget[], options: WaitForReadyOptions): Promise<{ ready: string[]; notReady: NotReady[] }> {
  const started = Date.now();
  const intervalMs = options.intervalMs ?? 100;
  const progressEveryMs = options.progressEveryMs ?? 5000;
  let nextProgress = started + progressEveryMs;
  const ready: string[] = [];
  const last = new Map<string, { livez?: ProbeResult; readyz?: ProbeResult; failure?: string }>();
  let pending = [...targets];
  for (;;) {
    await Promise.all(
      pending.map(async (target) => {
        const failure = target.failure?.();
        if (failure) {
          last.set(target.id, { failure });
          return;
        }
        const livez = await probe(`${target.baseUrl}/livez`);
        const readyz = livez.status === 200 ? await probe(`${target.baseUrl}/readyz`) : undefined;
        last.set(target.id, { livez, readyz });
        if (readyz?.status === 200) {
          ready.push(target.id);
          options.onReady?.(target, ready.length, targets.length, Date.now() - started);
        }
      }),
    );
    pending = pending.filter((t) => !ready.includes(t.id) && !last.get(t.id)?.failure);
    const failed = targets.filter((t) => last.get(t.id)?.failure);
    const now = Date.now();
    if (pending.length === 0 || now - started >= options.timeoutMs || options.signal?.aborted) {
      const notReady = [...failed, ...pending].map((t) => {
        const seen = last.get(t.id);
        return { id: t.id, logFile: t.logFile, reason: seen?.failure ?? notReadyReason(seen?.livez, seen?.readyz) };
      });
      return { ready, notReady };
    }
    if (now >= nextProgress) {
      options.onWaiting?.(pending.map((t) => t.id), now - started);
      nextProgress = now + progressEveryMs;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
