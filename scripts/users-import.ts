// npm run users:import: copies the users of the SQLite file SQLITE_PATH into the PostgreSQL database
// DATABASE_URL. Safe to run twice: users already there are left as they are.
import Database from 'better-sqlite3';
import dotenv from 'dotenv';
import pg from 'pg';
import { importUsers } from '../src/users/postgres-import';
import { redactUrl } from '../src/users/postgres-url';

async function main(): Promise<number> {
  dotenv.config({ quiet: true });
  const url = process.env.DATABASE_URL ?? '';
  const path = process.env.SQLITE_PATH || 'data/app.db';
  if (!url) {
    console.error('users:import: DATABASE_URL is required (postgres://…)');
    return 1;
  }
  const sqlite = new Database(path, { readonly: true, fileMustExist: true });
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    const report = await importUsers(sqlite, client);
    console.log(
      `users:import: ${report.read} users in ${path}, ${report.copied} copied to ${redactUrl(url)}, ` +
        `${report.read - report.copied} already there; next id ${report.nextId}`,
    );
    if (report.conflicts.length > 0) {
      console.error(
        `users:import: ids held by another username in PostgreSQL, not copied: ${report.conflicts.join(', ')}`,
      );
      return 2;
    }
    return 0;
  } finally {
    sqlite.close();
    await client.end().catch(() => {});
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error & { code?: string }) => {
    // name, code and message only: a pg error can carry connection details
    console.error(`users:import failed: ${err.name}${err.code ? ` ${err.code}` : ''}: ${err.message}`);
    process.exit(1);
  },
);
