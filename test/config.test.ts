import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config';

const strong = 'x'.repeat(32);

describe('loadConfig', () => {
  it('defaults to the lesson: port 3000, sqlite, 24 h sessions, cookie sid not Secure', () => {
    const config = loadConfig({});

    expect(config.port).toBe(3000);
    expect(config.production).toBe(false);
    expect(config.store.kind).toBe('sqlite');
    expect(config.session).toEqual({
      secrets: [],
      secretSource: 'data/session-secret (made for development)',
      cookieName: 'sid',
      secure: false,
      maxAgeMs: 86_400_000,
    });
    expect(config.trustProxy).toBe(false);
  });

  it('refuses production without a secret, with one clear error', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/SESSION_SECRET is required/);
  });

  it('refuses production with a secret shorter than 32 characters, old ones included', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', SESSION_SECRET: 'short' })).toThrow(/at least 32/);
    expect(() => loadConfig({ NODE_ENV: 'production', SESSION_SECRET: `${strong},short` })).toThrow(
      /at least 32/,
    );
  });

  it('makes production cookies Secure and __Host- prefixed unless told otherwise', () => {
    const config = loadConfig({ NODE_ENV: 'production', SESSION_SECRET: strong });

    expect(config.session.secure).toBe(true);
    expect(config.session.cookieName).toBe('__Host-sid');
    expect(
      loadConfig({ NODE_ENV: 'production', SESSION_SECRET: strong, COOKIE_SECURE: 'false' }).session,
    ).toMatchObject({ secure: false, cookieName: 'sid' });
  });

  it('reads a comma-separated secret list, first one signing', () => {
    const config = loadConfig({ SESSION_SECRET: ' new-secret , old-secret ,' });

    expect(config.session.secrets).toEqual(['new-secret', 'old-secret']);
  });

  it('parses trust proxy as false, true, a hop count or a list', () => {
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.1' }).trustProxy).toBe('loopback, 10.0.0.1');
  });

  it('names the key and the rule when a value is bad', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(
      'PORT must be a whole number from 0 to 65535 (got "abc")',
    );
    expect(() => loadConfig({ SESSION_STORE: 'mongo' })).toThrow(
      /SESSION_STORE must be one of sqlite, memory, redis/,
    );
    expect(() => loadConfig({ COOKIE_SECURE: 'yes' })).toThrow(/COOKIE_SECURE must be true or false/);
    expect(() => loadConfig({ SCRYPT_COST: '1000' })).toThrow(/power of two/);
  });

  it('treats empty values as unset, as a copied .env.example has them', () => {
    expect(loadConfig({ NODE_ENV: '', COOKIE_SECURE: '', SESSION_SECRET: '' }).session.secure).toBe(false);
  });
});
