import autocannon, { type Result } from 'autocannon';

export interface Load {
  /** seconds; ignored when amount is set */
  duration: number;
  amount?: number;
  connections: number;
  /** each request takes the next cookie, round-robin; none: every request is cookieless */
  cookies?: string[];
}

export interface Measured {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  non2xx: number;
  seconds: number;
}

/** Runs autocannon against GET <port>/increment and condenses its result. */
export async function hammer(port: number, load: Load): Promise<Measured> {
  const { cookies } = load;
  let next = 0;
  const result: Result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: load.connections,
    duration: load.duration,
    ...(load.amount ? { amount: load.amount } : {}),
    headers: { accept: 'application/json' },
    requests: [
      {
        method: 'GET',
        path: '/increment',
        ...(cookies?.length
          ? {
              setupRequest: (req) => ({
                ...req,
                headers: { ...req.headers, cookie: cookies[next++ % cookies.length] ?? '' },
              }),
            }
          : {}),
      },
    ],
  });
  const requests = result.requests.total;
  const seconds = (result.finish.getTime() - result.start.getTime()) / 1000; // duration is whole seconds
  return {
    rps: requests / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    seconds,
  };
}

/** One GET /increment; returns the status, the body and the `name=value` of any cookie it set. */
export async function increment(port: number, cookie?: string) {
  const res = await fetch(`http://127.0.0.1:${port}/increment`, {
    headers: { accept: 'application/json', ...(cookie ? { cookie } : {}) },
  });
  const body = await res.text();
  return { status: res.status, body, cookie: res.headers.getSetCookie()[0]?.split(';')[0] };
}

/** Creates n sessions (one cookieless /increment each, 8 at a time) and returns their cookies. */
export async function createSessions(port: number, n: number): Promise<string[]> {
  const cookies: string[] = [];
  const worker = async () => {
    while (cookies.length < n) {
      const { cookie } = await increment(port);
      if (!cookie) throw new Error('/increment set no cookie');
      cookies.push(cookie);
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, n) }, worker));
  return cookies.slice(0, n);
}
