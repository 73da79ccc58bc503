import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../core/config/config.ts';

function configFile(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'accord-config-')), 'accord.json');
  writeFileSync(path, content);
  return path;
}

describe('loadConfig', () => {
  it('has working defaults: port 8080 on loopback, embedded database, no Redis', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 8080, host: '127.0.0.1', logLevel: 'info', databaseUrl: undefined, redisUrl: undefined });
    expect(config.dataDir).toBe(join(process.cwd(), 'data'));
  });

  it('takes the environment over the config file, and the file over defaults', () => {
    const file = configFile(JSON.stringify({ port: 9000, partyName: 'From file', logLevel: 'warn' }));
    const config = loadConfig({ ACCORD_CONFIG: file, PORT: '9100', DATABASE_URL: 'postgres://u@db:5432/accord' });
    expect(config).toMatchObject({ port: 9100, partyName: 'From file', logLevel: 'warn', databaseUrl: 'postgres://u@db:5432/accord' });
  });

  it.each([
    [{ PORT: 'eighty' }, /^PORT: expected an integer port from 0 to 65535, got "eighty"$/],
    [{ PORT: '70000' }, /^PORT: expected an integer port/],
    [{ DATABASE_URL: 'mysql://x' }, /^DATABASE_URL: expected a postgres:\/\/ URL/],
    [{ REDIS_URL: 'not a url' }, /^REDIS_URL: expected a redis:\/\//],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL: expected one of/],
    [{ ACCORD_WORKER_CONCURRENCY: '0' }, /^ACCORD_WORKER_CONCURRENCY: expected an integer from 1 to 64/],
    [{ PORT: ' ' }, /^PORT: expected an integer port/],
    [{ PORT: '80.5' }, /^PORT: expected an integer port/],
    [{ ACCORD_BODY_LIMIT_BYTES: '-1' }, /^ACCORD_BODY_LIMIT_BYTES: expected a positive integer/],
  ])('rejects %o with one line naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('never echoes a bad URL, which may hold a password', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://accord:s3cr/et@db/accord' })).toThrow(/^DATABASE_URL: expected a postgres:\/\/ URL, got the value given/);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://accord:s3cr/et@db/accord' })).not.toThrow(/s3cr/);
    expect(() => loadConfig({ REDIS_URL: 'valkey://:hunter2@redis' })).not.toThrow(/hunter2/);
  });

  it('refuses null and booleans for numbers in the config file', () => {
    expect(() => loadConfig({ ACCORD_CONFIG: configFile('{"port": null}') })).toThrow(/^port in .*: expected an integer port/);
    expect(() => loadConfig({ ACCORD_CONFIG: configFile('{"workerConcurrency": true}') })).toThrow(/^workerConcurrency in .*: expected an integer from 1 to 64/);
  });

  it('never echoes a bad master key', () => {
    expect(() => loadConfig({ ACCORD_MASTER_KEY: 'hunter2-secret' })).toThrow(/ACCORD_MASTER_KEY: expected 32 bytes in base64.*got the value given \(not shown: it may hold a secret\)$/);
    expect(() => loadConfig({ ACCORD_MASTER_KEY: 'hunter2-secret' })).not.toThrow(/hunter2/);
  });

  it('names the file and the key for a bad config file', () => {
    expect(() => loadConfig({ ACCORD_CONFIG: configFile('{ not json') })).toThrow(/ACCORD_CONFIG: .* is not valid JSON/);
    expect(() => loadConfig({ ACCORD_CONFIG: configFile('{"prot": 1}') })).toThrow(/unknown key "prot"/);
    expect(() => loadConfig({ ACCORD_CONFIG: configFile('{"port": "x"}') })).toThrow(/^port in .*accord\.json: expected an integer port/);
    expect(() => loadConfig({ ACCORD_CONFIG: '/nonexistent/accord.json' })).toThrow(/cannot read \/nonexistent\/accord.json: there is no such file \(ENOENT\)/);
  });
});
