import { bodyField } from '../http/body';

export interface Credentials {
  username: string;
  password: string;
}

export type FieldErrors = Partial<Record<keyof Credentials, string>>;

export type Parsed = { ok: true; value: Credentials } | { ok: false; errors: FieldErrors; username: string };

export const USERNAME_PATTERN = /^[a-z0-9_.-]{3,32}$/;

// only A-Z: String#toLowerCase would turn the Kelvin sign (U+212A) into a plain "k"
const asciiLower = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
const codePoints = (s: string) => [...s].length;

/**
 * Reads {username, password} from a parsed JSON or form body. Signup enforces the minimum length;
 * login does not, so raising the minimum never locks out an existing user.
 */
export function readCredentials(
  body: unknown,
  rules: { passwordMinLength: number; passwordMaxLength: number },
  purpose: 'signup' | 'login',
): Parsed {
  const errors: FieldErrors = {};
  const rawName = bodyField(body, 'username');
  const rawPassword = bodyField(body, 'password');

  let username = '';
  if (rawName === undefined || rawName === '') errors.username = 'Username is required';
  else if (typeof rawName !== 'string') errors.username = 'Username must be a single text value';
  else {
    username = asciiLower(rawName);
    if (!USERNAME_PATTERN.test(username))
      errors.username = 'Username must be 3 to 32 characters: letters a-z, digits, _ . or -';
  }

  const min = purpose === 'signup' ? rules.passwordMinLength : 1;
  if (rawPassword === undefined || rawPassword === '') errors.password = 'Password is required';
  else if (typeof rawPassword !== 'string') errors.password = 'Password must be a single text value';
  else if (codePoints(rawPassword) < min) errors.password = `Password must be at least ${min} characters`;
  else if (codePoints(rawPassword) > rules.passwordMaxLength)
    errors.password = `Password must be at most ${rules.passwordMaxLength} characters`;

  if (errors.username || errors.password) return { ok: false, errors, username: username.slice(0, 64) };
  return { ok: true, value: { username, password: rawPassword as string } };
}
