import { DatabaseError } from 'pg';
import { StoreUnavailableError, UserStoreUnavailableError } from '../errors';

// SQLSTATE classes that mean "not now" rather than a bug: connection exception, transaction rollback
// (serialization, deadlock), insufficient resources, operator intervention (statement_timeout's
// 57014, a server shutting down), system error
const UNAVAILABLE_CLASSES = ['08', '40', '53', '57', '58'];

/**
 * A programming error (TypeError, RangeError, an SQL error such as a syntax error) stays itself, a 500;
 * anything from the network, the pool or the server being unwell becomes a UserStoreUnavailableError.
 * Only the name, code and message are kept: the original may carry connection parameters.
 */
export function userStoreError(err: unknown): unknown {
  if (err instanceof UserStoreUnavailableError) return err;
  if (err instanceof StoreUnavailableError) return new UserStoreUnavailableError(err.reason); // a deadline
  if (err instanceof TypeError || err instanceof RangeError) return err;
  if (err instanceof DatabaseError && !UNAVAILABLE_CLASSES.some((c) => err.code?.startsWith(c))) return err;
  return new UserStoreUnavailableError(describe(err));
}

/** name, code and message only, for a log line */
export function describe(err: unknown): string {
  if (!(err instanceof Error)) return 'postgres error';
  const code = (err as { code?: unknown }).code;
  return `${err.name}${typeof code === 'string' ? ` ${code}` : ''}: ${err.message}`;
}
