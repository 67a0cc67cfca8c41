import request from 'supertest';
import { expect } from 'vitest';
import type { ListedSession } from '../../src/accounts/sessions-routes';

export const PASSWORD = 'correct horse battery staple';
export const NEW_PASSWORD = 'a brand new passphrase';

export type Agent = ReturnType<typeof request.agent>;
type App = Parameters<typeof request.agent>[0];

/** A client (cookie jar) that has signed up as `username`. For the bare cookie, see signUpCookie. */
export async function signUpAgent(app: App, username = 'alice', password = PASSWORD): Promise<Agent> {
  const agent = request.agent(app);
  await agent.post('/signup').send({ username, password }).expect(201);
  return agent;
}

/** A client (cookie jar) that has logged in as `username`, as one more device. For the bare cookie, see logInCookie. */
export async function logInAgent(app: App, username = 'alice', password = PASSWORD): Promise<Agent> {
  const agent = request.agent(app);
  await agent.post('/login').send({ username, password }).expect(200);
  return agent;
}

/** The sessions this client's user sees at GET /sessions. */
export async function sessionsOf(agent: Agent): Promise<ListedSession[]> {
  const res = await agent.get('/sessions').expect(200);
  return res.body.sessions as ListedSession[];
}

/** The handle of the one session in `agent`'s list that is not its own. */
export async function otherHandle(agent: Agent): Promise<string> {
  const others = (await sessionsOf(agent)).filter((s) => !s.current);
  expect(others).toHaveLength(1);
  return others[0]?.id ?? '';
}

/** Whether the client is logged in, by its /profile status. */
export async function isLoggedIn(agent: Agent): Promise<boolean> {
  const status = (await agent.get('/profile')).status;
  expect([200, 401]).toContain(status);
  return status === 200;
}
