// A loopback HTTP server that accepts every connection and request and never answers: a frozen daemon
// (RGW, Connect, a registry, an API server). It counts the requests it was sent, so a test can tell one
// unanswered call from retries × buckets of them.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface HangingServer {
  url: string;
  /** `METHOD path` of every request received, in order. */
  requests: string[];
  close(): Promise<void>;
}

export async function startHangingServer(): Promise<HangingServer> {
  const requests: string[] = [];
  const held: ServerResponse[] = [];
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    requests.push(`${request.method} ${request.url}`);
    held.push(response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: async () => {
      for (const response of held) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
