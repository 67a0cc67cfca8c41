import { findPostgresBin, type PostgresServer, startPostgres } from '../../scripts/lib/postgres-server';
import { freePort } from './redis';
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
