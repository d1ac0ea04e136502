import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after } from 'node:test';

/** A local HTTP server that never answers, and what became of the requests it got. */
export interface HangingServer {
  url: string;
  /** Requests received so far. */
  readonly received: number;
  /** Requests whose client went away (aborted) so far. */
  readonly closed: number;
  /** Resolves once `n` requests have been received. */
  receivedAtLeast(n: number): Promise<void>;
  /** Resolves once `n` requests were aborted by their client. */
  closedAtLeast(n: number): Promise<void>;
}

/** Starts a server that holds every request open and never answers; closed when the test file ends. */
export async function hangingServer(): Promise<HangingServer> {
  let received = 0;
  let closed = 0;
  const waiters: (() => void)[] = [];
  const poke = () => {
    for (const w of waiters.splice(0)) w();
  };
  const server = createServer((req: IncomingMessage) => {
    received++;
    poke();
    req.socket.on('close', () => {
      closed++;
      poke();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  const until = (test: () => boolean) =>
    new Promise<void>((resolve) => {
      const check = () => (test() ? resolve() : waiters.push(check));
      check();
    });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    get received() {
      return received;
    },
    get closed() {
      return closed;
    },
    receivedAtLeast: (n) => until(() => received >= n),
    closedAtLeast: (n) => until(() => closed >= n),
  };
}
