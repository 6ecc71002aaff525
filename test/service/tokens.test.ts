/** API tokens: their shape, that only a hash is stored, and that verification reads the store every time. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, MINUTE_MS } from '../../src/core/clock.js';
import { ConfigError } from '../../src/core/errors.js';
import { createToken, generateToken, hashToken, revokeToken, verifyToken } from '../../src/service/tokens.js';
import { DB_FILE, SqliteStore } from '../../src/store/sqlite.js';

const stores: SqliteStore[] = [];
function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-tokens-'));
  const store = SqliteStore.open(dir);
  stores.push(store);
  return { dir, store, clock: new ManualClock('2026-11-24T09:00:00.000Z') };
}
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

async function problemsOf(promise: Promise<unknown>) {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ConfigError);
  return (err as ConfigError).problems.map((p) => [p.path, p.message]);
}

describe('tokens', () => {
  it('are vgl_ and 43 base62 characters, all different', () => {
    const tokens = Array.from({ length: 200 }, generateToken);

    expect(tokens.every((t) => /^vgl_[0-9A-Za-z]{43}$/.test(t))).toBe(true);
    expect(new Set(tokens).size).toBe(200);
  });

  it('are stored only as their SHA-256', async () => {
    const { dir, store, clock } = setup();

    const { token } = await createToken(store.tokens, { name: 'prometheus', role: 'auditor' }, { actor: 'alice', reason: 'scraping', clock });

    const db = new Database(join(dir, DB_FILE), { readonly: true });
    const rows = db.prepare('SELECT * FROM api_tokens').all() as Array<Record<string, unknown>>;
    db.close();
    expect(rows).toEqual([
      {
        id: expect.any(String), name: 'prometheus', role: 'auditor', hash: hashToken(token), created_at: '2026-11-24T09:00:00.000Z', created_by: 'alice', reason: 'scraping',
        revoked_at: null, revoked_by: null, revoke_reason: null, last_used_at: null,
      },
    ]);
    expect(JSON.stringify(rows)).not.toContain(token.slice(4));
  });

  it('verify against the store on every call: a revocation holds at once', async () => {
    const { store, clock } = setup();
    const { token } = await createToken(store.tokens, { name: 'alice', role: 'oncall' }, { actor: 'alice', reason: 'on call this week', clock });

    const live = await verifyToken(store.tokens, token, clock);
    await revokeToken(store.tokens, 'alice', { actor: 'bob', reason: 'rotation ended', clock });
    const afterRevoke = await verifyToken(store.tokens, token, clock);

    expect(live).toMatchObject({ name: 'alice', role: 'oncall' });
    expect(live).not.toHaveProperty('hash');
    expect(afterRevoke).toBeUndefined();
    expect(await verifyToken(store.tokens, generateToken(), clock)).toBeUndefined();
    expect(await verifyToken(store.tokens, 'not-a-token', clock)).toBeUndefined();
    expect(await store.tokens.getToken('alice')).toMatchObject({ revokedBy: 'bob', revokeReason: 'rotation ended', revokedAt: '2026-11-24T09:00:00.000Z' });
  });

  it('record their last use, at most once a minute', async () => {
    const { store, clock } = setup();
    const { token } = await createToken(store.tokens, { name: 'ci', role: 'ops' }, { actor: 'alice', reason: 'pipeline', clock });

    await verifyToken(store.tokens, token, clock);
    clock.advance(30_000);
    await verifyToken(store.tokens, token, clock);
    const first = (await store.tokens.getToken('ci'))?.lastUsedAt;
    clock.advance(MINUTE_MS);
    await verifyToken(store.tokens, token, clock);

    expect(first).toBe('2026-11-24T09:00:00.000Z');
    expect((await store.tokens.getToken('ci'))?.lastUsedAt).toBe('2026-11-24T09:01:30.000Z');
  });

  it('refuse bad input with every problem at once, and never reuse a name', async () => {
    const { store, clock } = setup();
    await createToken(store.tokens, { name: 'ci', role: 'ops' }, { actor: 'alice', reason: 'pipeline', clock });
    await revokeToken(store.tokens, 'ci', { actor: 'alice', reason: 'replaced', clock });

    expect(await problemsOf(createToken(store.tokens, { name: 'has space', role: 'root' }, { actor: ' ', reason: '', clock }))).toEqual([
      ['name', '"has space" is not a token name: 1-64 letters, digits, \'.\', \'_\' or \'-\', starting with a letter or digit'],
      ['actor', 'an actor is required'],
      ['reason', 'say why; it is recorded with the token'],
      ['role', 'unknown role "root"; expected one of: oncall, ops, auditor, admin'],
    ]);
    expect(await problemsOf(createToken(store.tokens, { name: 'ci', role: 'ops' }, { actor: 'alice', reason: 'again', clock }))).toEqual([
      ['name', 'a token named ci already exists (names are never reused, even after revocation)'],
    ]);
    expect(await problemsOf(revokeToken(store.tokens, 'ci', { actor: 'alice', reason: 'again', clock }))).toEqual([
      ['name', 'token ci was already revoked at 2026-11-24T09:00:00.000Z by alice'],
    ]);
    expect(await problemsOf(revokeToken(store.tokens, 'nobody', { actor: 'alice', reason: 'x', clock }))).toEqual([
      ['name', 'no token named nobody; `vigil token list` shows them'],
    ]);
  });
});
