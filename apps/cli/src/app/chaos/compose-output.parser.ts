/** Parsers of what `docker compose ps`, `docker inspect` and `redis-cli` print (the compose chaos target's inputs). */

/** One line of `docker compose ps --format json`. */
export interface PsEntry {
  Service: string;
  ID?: string;
  Name?: string;
  State: string;
  Health?: string;
  ExitCode?: number;
}

/** Parses `docker compose ps --format json`: a JSON array (older compose) or one object per line (newer). */
export function parseComposePs(text: string): PsEntry[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  const raw: unknown[] = trimmed.startsWith('[') ? (JSON.parse(trimmed) as unknown[]) : trimmed.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as unknown);
  return raw.filter((e): e is PsEntry => typeof (e as PsEntry)?.Service === 'string' && typeof (e as PsEntry)?.State === 'string');
}

/** Pairs of `redis-cli HGETALL` raw output (one value per line). */
export function pairs(text: string): Record<string, string> {
  const lines = text.split('\n').filter((l) => l !== '');
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < lines.length; i += 2) out[lines[i]] = lines[i + 1];
  return out;
}

/** What `docker inspect` tells of one compose container (restarts, pid, zone). */
export interface ContainerFacts {
  restarts: number;
  pid: number | null;
  zone: string | null;
  /** Its address on its (first) network, null when it has none (stopped). */
  ip: string | null;
}

/** Parses `docker inspect <ids>` into facts per compose service (label com.docker.compose.service). */
export function parseInspect(text: string): Map<string, ContainerFacts> {
  const out = new Map<string, ContainerFacts>();
  const list = JSON.parse(text || '[]') as Array<{
    RestartCount?: number;
    State?: { Pid?: number };
    Config?: { Env?: string[]; Labels?: Record<string, string> };
    NetworkSettings?: { Networks?: Record<string, { IPAddress?: string }> };
  }>;
  for (const c of Array.isArray(list) ? list : []) {
    const service = c.Config?.Labels?.['com.docker.compose.service'];
    if (!service) continue;
    const zone = (c.Config?.Env ?? []).find((e) => e.startsWith('ZONE='))?.slice(5) || null;
    const ip = Object.values(c.NetworkSettings?.Networks ?? {}).find((n) => n?.IPAddress)?.IPAddress ?? null;
    out.set(service, { restarts: c.RestartCount ?? 0, pid: c.State?.Pid ? c.State.Pid : null, zone, ip });
  }
  return out;
}
