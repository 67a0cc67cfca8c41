/** An error whose status and message are safe to show the client. */
export class HttpError extends Error {
  override name = 'HttpError';

  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The session store is down or too slow: a fast 503 the client may retry. */
export class StoreUnavailableError extends HttpError {
  override name = 'StoreUnavailableError';

  constructor(readonly reason = 'store unavailable') {
    super(503, 'Session store unavailable', { 'Retry-After': '1' });
  }
}

/** The user store (PostgreSQL) is down, silent or not migrated yet: a fast 503 the client may retry. */
export class UserStoreUnavailableError extends HttpError {
  override name = 'UserStoreUnavailableError';

  constructor(readonly reason = 'user store unavailable') {
    super(503, 'User store unavailable', { 'Retry-After': '1' });
  }
}

/** The server cannot start as configured (a port in use, a database it cannot write): one line, exit 1. */
export class StartError extends Error {
  override name = 'StartError';
}
