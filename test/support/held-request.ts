import { connect } from 'node:net';

/**
 * A POST whose body arrives in two parts: `first` now, the rest when the test calls finish(). The
 * request is in the server from the start (its session loaded), as a slow client's would be.
 */
export function heldPost(port: number, path: string, cookie: string, body: string, first = 1) {
  const socket = connect(port, '127.0.0.1');
  let answer = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => {
    answer += chunk;
  });
  const ended = new Promise<void>((resolve) => socket.on('end', resolve).on('close', resolve));
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${cookie}\r\nAccept: application/json\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n` +
      body.slice(0, first),
  );
  return {
    /** sends the rest of the body; resolves with the answer's status and JSON body */
    async finish(): Promise<{ status: number; body: unknown }> {
      socket.end(body.slice(first));
      await ended;
      const status = Number(/^HTTP\/1\.1 (\d+)/.exec(answer)?.[1]);
      return { status, body: JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4) || 'null') };
    },
  };
}
