import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateSecrets, operatorPasswordNotice, readRedisPasswords, REDIS_PASSWORD_NAMES } from './secrets';

describe('loadOrCreateSecrets', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'failsoft-secrets-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('generates the secrets and an operator password once (mode 0600), then reuses them', () => {
    const file = join(dir, 'state', 'secrets.json');
    const first = loadOrCreateSecrets(file);
    expect(first).toMatchObject({ created: true, newOperatorPassword: true });
    expect(first.secrets.operatorPassword.length).toBeGreaterThanOrEqual(16);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = loadOrCreateSecrets(file);
    expect(again).toEqual({ secrets: first.secrets, created: false, newOperatorPassword: false });
    // every platform gets its own
    expect(loadOrCreateSecrets(join(dir, 'other.json')).secrets.operatorPassword).not.toBe(first.secrets.operatorPassword);
  });

  it('adds an operator password to a file of an older version, keeping its other secrets', () => {
    const file = join(dir, 'secrets.json');
    writeFileSync(file, JSON.stringify({ failsoftToken: 't'.repeat(20), authSecret: 'a'.repeat(40) }), { mode: 0o644 });
    const loaded = loadOrCreateSecrets(file);
    expect(loaded).toMatchObject({ created: false, newOperatorPassword: true, secrets: { failsoftToken: 't'.repeat(20), authSecret: 'a'.repeat(40) } });
    expect(JSON.parse(readFileSync(file, 'utf8')).operatorPassword).toBe(loaded.secrets.operatorPassword);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadOrCreateSecrets(file).newOperatorPassword).toBe(false);
  });

  it('generates a distinct Redis password per user (16+ of [A-Za-z0-9_-]) and keeps them across starts', () => {
    const file = join(dir, 'secrets.json');
    const { redis } = loadOrCreateSecrets(file).secrets;
    expect(Object.keys(redis).sort()).toEqual([...REDIS_PASSWORD_NAMES].sort());
    for (const value of Object.values(redis)) expect(value).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect(new Set(Object.values(redis)).size).toBe(REDIS_PASSWORD_NAMES.length);
    expect(loadOrCreateSecrets(file).secrets.redis).toEqual(redis);
    expect(readRedisPasswords(file)).toEqual(redis);
  });

  it('adds Redis passwords to an older file (and replaces a bad one), keeping the other secrets', () => {
    const file = join(dir, 'secrets.json');
    const old = { failsoftToken: 't'.repeat(20), authSecret: 'a'.repeat(40), operatorPassword: 'o'.repeat(20) };
    writeFileSync(file, JSON.stringify(old), { mode: 0o600 });
    expect(readRedisPasswords(file)).toBeUndefined(); // negative control: none yet
    const loaded = loadOrCreateSecrets(file);
    expect(loaded).toMatchObject({ created: false, newOperatorPassword: false, secrets: old });
    expect(readRedisPasswords(file)).toEqual(loaded.secrets.redis);
    writeFileSync(file, JSON.stringify({ ...old, redis: { ...loaded.secrets.redis, likes: 'short' } }), { mode: 0o600 });
    const fixed = loadOrCreateSecrets(file).secrets.redis;
    expect(fixed.likes).not.toBe('short');
    expect({ ...fixed, likes: 'x' }).toEqual({ ...loaded.secrets.redis, likes: 'x' });
    expect(readRedisPasswords(join(dir, 'missing.json'))).toBeUndefined();
  });

  it('prints the password with the user name and where it is kept', () => {
    expect(operatorPasswordNotice('s3cret-s3cret-s3cret', '.failsoft/secrets.json')).toMatch(/"operator".*\n.*s3cret-s3cret-s3cret\n.*\.failsoft\/secrets\.json, mode 0600/);
  });
});
