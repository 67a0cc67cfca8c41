import type { Config } from '../config';
import { html, page, type SafeHtml } from '../http/html';
import { type FormState, fieldError, formAlert } from '../login/pages';
import type { ListedSession } from './sessions-routes';

const day = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeZone: 'UTC' });
// "1 Dec 2026, 10:07 UTC" on one line, for a table cell; the full time is in the datetime attribute
const time = (iso: string) =>
  html`<time datetime="${iso}">${day.format(new Date(iso))}, ${iso.slice(11, 16)}\u00a0UTC</time>`;

function row(s: ListedSession): SafeHtml {
  const action = s.current
    ? html`<strong>this device</strong>`
    : html`<form method="post" action="/sessions/${encodeURIComponent(s.id)}/revoke"><button type="submit">Sign out</button></form>`;
  return html`<tr${s.current ? html` class="current"` : ''}>
<td>${s.device}<br><small>${s.ip ?? 'unknown address'} · ${s.persistent ? 'kept signed in' : 'until the browser closes'}</small></td>
<td>${time(s.createdAt)}</td><td>${time(s.lastActiveAt)}</td><td>${action}</td>
</tr>
`;
}

export const sessionsPage = (sessions: ListedSession[]) =>
  page(
    'Your sessions',
    html`<p>Where you are signed in, most recently active first. Sign out any session you do not recognise.</p>
<table id="sessions">
<thead><tr><th>Device, address, cookie</th><th>Signed in</th><th>Last active</th><th></th></tr></thead>
<tbody>
${sessions.map(row)}</tbody>
</table>
<form method="post" action="/sessions/revoke-others" class="inline"><button type="submit">Sign out all other sessions</button></form>
<form method="post" action="/sessions/revoke-all" class="inline"><button type="submit" class="danger">Sign out everywhere</button></form>
<p><a href="/profile">Profile</a> · <a href="/password">Change password</a> · <a href="/">Home</a></p>`,
  );

export const confirmPage = (action: string, { message }: FormState) =>
  page(
    'Confirm your password',
    html`${formAlert(message)}
<form method="post" action="${action}">
<p><label>Password <input type="password" name="password" required autocomplete="current-password"></label></p>
<p><button type="submit">Confirm</button></p>
</form>
<p><a href="/sessions">Your sessions</a> · <a href="/profile">Profile</a></p>`,
  );

export const passwordPage = (config: Config, state: FormState = {}) => {
  const { passwordMinLength: min, passwordMaxLength: max } = config.login;
  return page(
    'Change password',
    html`${formAlert(state.message)}
<form method="post" action="/password">
<p><label>Current password <input type="password" name="currentPassword" required autocomplete="current-password"></label>${fieldError(state.errors?.currentPassword)}</p>
<p><label>New password <input type="password" name="newPassword" required minlength="${min}" maxlength="${max}" autocomplete="new-password"></label>${fieldError(state.errors?.newPassword)}</p>
<p><small>${min} to ${max} characters. Every other session of yours is signed out.</small></p>
<p><button type="submit">Change password</button></p>
</form>
<p><a href="/profile">Profile</a> · <a href="/sessions">Your sessions</a></p>`,
  );
};

export const passwordChangedPage = (n: number, from: string, to: string) =>
  page(
    'Password changed',
    html`<p role="status" id="password-changed">Your password was changed.
${n === 0 ? 'You had no other sessions to sign out.' : html`<strong id="signed-out-count">${n}</strong> other session${n === 1 ? ' was' : 's were'} signed out.`}</p>
<p id="id-moved">This session stayed signed in and moved to a new ID, from <code>${from}</code> to <code>${to}</code>:
a copy of the old cookie is worthless now.</p>
<p><a href="/profile">Profile</a> · <a href="/sessions">Your sessions</a> · <a href="/">Home</a></p>`,
  );
