import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Secrets of the local platform, generated once and reused so restarts keep user tokens valid. */
export interface PlatformSecrets {
  /** FAILSOFT_TOKEN: authenticates internal gRPC calls (16+ characters). */
  failsoftToken: string;
  /** AUTH_SECRET: signs user session tokens at the gateway (32+ characters). */
  authSecret: string;
}

function generate(): PlatformSecrets {
  return { failsoftToken: randomBytes(24).toString('base64url'), authSecret: randomBytes(48).toString('base64url') };
}

function valid(value: unknown): value is PlatformSecrets {
  const v = value as Partial<PlatformSecrets> | null;
  return !!v && typeof v.failsoftToken === 'string' && v.failsoftToken.length >= 16 && typeof v.authSecret === 'string' && v.authSecret.length >= 32;
}

/**
 * Reads `file` (mode 0600), or creates it with fresh random secrets when it is missing or invalid.
 * @returns the secrets and whether they were created now.
 */
export function loadOrCreateSecrets(file: string): { secrets: PlatformSecrets; created: boolean } {
  if (existsSync(file)) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
      if (valid(parsed)) return { secrets: { failsoftToken: parsed.failsoftToken, authSecret: parsed.authSecret }, created: false };
    } catch {
      // regenerate below
    }
  }
  const secrets = generate();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { secrets, created: true };
}
