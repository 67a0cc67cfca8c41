import { randomBytes } from 'node:crypto';

/** A login's id: 128 random bits, base64url (22 characters); nothing to do with the session ID. */
export const newLoginId = () => randomBytes(16).toString('base64url');

/** Marks a login seen at most once a minute: ordering by last seen is accurate to the minute. */
export const SEEN_EVERY_MS = 60_000;
