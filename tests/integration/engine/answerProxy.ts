/**
 * A loopback HTTP proxy in front of RGW that can lose RGW's answers: a request that matches the rule is
 * forwarded and answered by RGW (so RGW has acted), then the caller either never hears back (`drop`) or
 * gets a replacement body (`replace`). With `hang`, nothing is forwarded and nothing answered (an endpoint
 * that never answers). Requests are forwarded byte for byte with their Host header, so SigV4 signatures
 * made for the proxy's address stay valid at RGW.
 */
import { request as httpRequest, createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request as the proxy saw it. */
export interface SeenRequest {
  method: string;
  /** Path and query. */
  url: string;
  /** What the proxy did with RGW's answer. */
  outcome: "forwarded" | "dropped" | "replaced" | "hung";
  /** RGW's answer body (for dropped and replaced requests). */
  answer?: string;
}

export type Rule =
  | { kind: "pass" }
  | { kind: "hang" }
  | { kind: "drop"; when: (method: string, url: string) => boolean }
  | { kind: "replace"; when: (method: string, url: string) => boolean; body: (answer: string) => string };

export class AnswerProxy {
  readonly seen: SeenRequest[] = [];
  rule: Rule = { kind: "pass" };
  private server: Server | undefined;
  private held = new Set<ServerResponse>();
  private waiters = new Set<() => void>();

  constructor(private readonly target: URL) {}

  /** Starts listening on a free loopback port; returns the endpoint to give the providers. */
  async start(): Promise<string> {
    this.server = createServer((incoming, outgoing) => void this.handle(incoming, outgoing));
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.release();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Closes the connections whose answers were held back (as a dead peer's would be). */
  release(): void {
    for (const response of this.held) response.destroy();
    this.held.clear();
  }

  /** Resolves with the first request that got `outcome` (now or later). */
  waitFor(outcome: SeenRequest["outcome"], timeoutMs = 60_000): Promise<SeenRequest> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no ${outcome} request within ${timeoutMs} ms; seen: ${JSON.stringify(this.seen.map((s) => `${s.method} ${s.url} ${s.outcome}`))}`));
      }, timeoutMs);
      const check = () => {
        const found = this.seen.find((request) => request.outcome === outcome);
        if (found) {
          clearTimeout(timer);
          this.waiters.delete(check);
          resolve(found);
        }
      };
      this.waiters.add(check);
      check();
    });
  }

  private record(request: SeenRequest): void {
    this.seen.push(request);
    for (const check of [...this.waiters]) check();
  }

  private async handle(incoming: IncomingMessage, outgoing: ServerResponse): Promise<void> {
    const method = incoming.method ?? "GET";
    const url = incoming.url ?? "/";
    const rule = this.rule;
    if (rule.kind === "hang") {
      this.held.add(outgoing);
      this.record({ method, url, outcome: "hung" });
      return;
    }
    const body: Buffer[] = [];
    for await (const chunk of incoming) body.push(chunk as Buffer);
    const answer = await new Promise<{ status: number; headers: IncomingMessage["headers"]; body: Buffer }>((resolve, reject) => {
      const forward = httpRequest({ host: this.target.hostname, port: this.target.port, method, path: url, headers: incoming.headers }, (response) => {
        const parts: Buffer[] = [];
        response.on("data", (chunk: Buffer) => parts.push(chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 502, headers: response.headers, body: Buffer.concat(parts) }));
        response.on("error", reject);
      });
      forward.on("error", reject);
      forward.end(Buffer.concat(body));
    }).catch((error: unknown) => ({ status: 502, headers: {}, body: Buffer.from(String(error)) }));

    const matches = rule.kind !== "pass" && rule.when(method, url);
    if (matches && rule.kind === "drop") {
      this.held.add(outgoing);
      this.record({ method, url, outcome: "dropped", answer: answer.body.toString("utf8") });
      return;
    }
    if (matches && rule.kind === "replace") {
      const replaced = rule.body(answer.body.toString("utf8"));
      this.record({ method, url, outcome: "replaced", answer: answer.body.toString("utf8") });
      outgoing.writeHead(answer.status, { "content-type": "application/json", "content-length": Buffer.byteLength(replaced) }).end(replaced);
      return;
    }
    this.record({ method, url, outcome: "forwarded" });
    const headers = { ...answer.headers };
    delete headers["transfer-encoding"];
    headers["content-length"] = String(answer.body.length);
    outgoing.writeHead(answer.status, headers).end(answer.body);
  }
}
