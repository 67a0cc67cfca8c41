import { randomBytes } from 'node:crypto';

/** A login's id: 128 random bits, base64url (22 characters); nothing to do with the session ID. */
export const newLoginId = () => randomBytes(16).toString('base64url');
