import type { SessionData } from 'express-session';
import type { Config } from '../config';
import { html, page } from '../http/html';
import type { Login, User } from '../users/types';

/** What a form shows again: the name typed, errors by field, what went wrong before. */
export interface FormState {
  username?: string;
  errors?: Record<string, string | undefined>;
  message?: string;
  notice?: string | undefined;
}

export type FormPage = (state: FormState) => string;

export const fieldError = (message: string | undefined) =>
  message ? html` <strong class="error">${message}</strong>` : '';

/** A message about the whole form, announced to screen readers, or nothing. */
export const formAlert = (message: string | undefined) =>
  message ? html`<p role="alert"><strong>${message}</strong></p>` : '';

export function credentialsPage(purpose: 'signup' | 'login', config: Config, state: FormState = {}) {
  const signup = purpose === 'signup';
  const title = signup ? 'Sign up' : 'Log in';
  const { passwordMinLength: min, passwordMaxLength: max } = config.login;
  return page(
    title,
    html`${state.notice ? html`<p role="status" id="notice">${state.notice}</p>` : ''}${formAlert(state.message)}
<form method="post" action="/${purpose}">
<p><label>Username <input name="username" autocomplete="username" required minlength="3" maxlength="32"
  value="${state.username ?? ''}"></label>${fieldError(state.errors?.username)}</p>
<p><label>Password <input type="password" name="password" required maxlength="${max}"
  ${signup ? html`minlength="${min}" autocomplete="new-password"` : html`autocomplete="current-password"`}></label>${fieldError(state.errors?.password)}</p>
${signup ? html`<p><small>${min} to ${max} characters; a passphrase of a few words is good.</small></p>` : ''}
<p><label class="check"><input type="checkbox" name="remember" value="1"> Keep me signed in</label>
<small>Otherwise you are signed out when the browser closes.</small></p>
<p><button type="submit">${title}</button></p>
</form>
${
  signup
    ? html`<p>Already have an account? <a href="/login">Log in</a> · <a href="/">Home</a></p>`
    : html`<p>No account yet? <a href="/signup">Sign up</a> · <a href="/">Home</a></p>`
}`,
  );
}

const idChange = (idPrefix: string, { previousIdPrefix, count }: Partial<SessionData>) =>
  previousIdPrefix
    ? html`<p id="id-change">Your session ID moved from <code>${previousIdPrefix}</code> to
<code>${idPrefix}</code> at your last sign-in or password change: an ID planted before then is now worthless.
${count === undefined ? '' : html`Your count (${count}) came along.`}</p>`
    : '';

/** Logging out is a POST form: it changes state, so it must not be a link a page can trigger. */
export const profilePage = (user: User, login: Login, idPrefix: string, session: Partial<SessionData>) =>
  page(
    'Your profile',
    html`<p>You are logged in as <strong id="username">${user.username}</strong>
since <time id="login-at" datetime="${new Date(login.createdAt).toISOString()}">${new Date(login.createdAt).toUTCString().replace('GMT', 'UTC')}</time>.</p>
${idChange(idPrefix, session)}
<form method="post" action="/logout"><button type="submit">Log out</button></form>
<p><a href="/sessions">Your sessions</a> · <a href="/password">Change password</a> · <a href="/increment">Session counter</a> · <a href="/">Home</a></p>
<h2>Delete your account</h2>
<form method="post" action="/account/delete">
<p><label>Password <input type="password" name="password" required autocomplete="current-password"></label></p>
<p><button type="submit" class="danger">Delete my account and sign out everywhere</button></p>
</form>`,
  );
