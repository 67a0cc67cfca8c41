import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { findPostgresBin } from '../../scripts/lib/postgres-bin';
import { type PostgresServer, startPostgres } from '../../scripts/lib/postgres-server';
import { freePort } from '../../scripts/lib/processes';
import { createPostgresUserStore, type PostgresUserStore } from '../../src/users/postgres';
import { silentLogger } from '../helper';
import { serviceAvailable } from './service';

export type { PostgresServer };

/** Whether a suite needing PostgreSQL runs: see serviceAvailable for the skip and CI rule. */
export function postgresAvailable(suite: string): boolean {
  const missing = findPostgresBin()
    ? undefined
    : 'PostgreSQL not installed (/usr/lib/postgresql/<version>/bin)';
  return serviceAvailable(suite, missing);
}

/** A throwaway PostgreSQL in its own temp directory on a free loopback port; close() removes it all. */
export async function startTestPostgres(): Promise<PostgresServer> {
  return startPostgres({ port: await freePort() });
}

/**
 * The file's PostgreSQL: started in beforeAll when installed (else the suite skips, see
 * postgresAvailable), closed after all. `server()` is it, inside tests and hooks.
 */
export function usePostgres(suite: string): { available: boolean; server: () => PostgresServer } {
  const available = postgresAvailable(suite);
  let server: PostgresServer | undefined;
  beforeAll(async () => {
    if (available) server = await startTestPostgres();
  }, 30_000);
  afterAll(() => server?.close());
  const get = () => {
    if (!server) throw new Error('PostgreSQL not started');
    return server;
  };
  return { available, server: get };
}

let databases = 0;

/** A new, empty database on the server; its URL. One per test keeps tests apart on one server. */
export async function createDatabase(server: PostgresServer): Promise<string> {
  const name = `t${process.pid}_${++databases}`;
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return server.url.replace(/\/postgres$/, `/${name}`);
}

/** A user store on the database at url, its migrations run; the caller closes it. */
export async function readyPostgresStore(
  url: string,
  timeoutMs = 1000,
  lifetimes = { idleMs: 86_400_000, maxAgeMs: 43_200_000 },
): Promise<PostgresUserStore> {
  const store = createPostgresUserStore({ url, poolSize: 4, timeoutMs, logger: silentLogger, lifetimes });
  await store.ready;
  return store;
}
