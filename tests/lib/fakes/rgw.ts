/**
 * Test doubles for the providers' unit tests: an in-memory RGW admin client that can act and then lose
 * its answer (what a killed engine or a timed-out call leaves behind), and a loopback S3 server that
 * keeps one lifecycle document per bucket and can stop answering.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isRgwError, rgwError, type RgwError } from "../../../providers/errors";
import type { RgwAdminClient, RgwKey, RgwUserAttributes, RgwUserInfo } from "../../../providers/rgwAdmin";

/** The RgwError `action` throws (fails the test if it throws something else or nothing). */
export function thrownRgwError(action: () => unknown): RgwError {
  try {
    action();
  } catch (error) {
    if (isRgwError(error)) return error;
    throw error;
  }
  throw new Error("expected an RgwError");
}

type Operation = keyof RgwAdminClient;
const ENDPOINT = "http://fake-rgw:7480";

/** An RGW with users and keys in memory; `loseAnswer(op)` makes the next `op` act, then fail with a timeout. */
export class FakeRgw implements RgwAdminClient {
  readonly users = new Map<string, { displayName: string; suspended: boolean; keys: RgwKey[] }>();
  readonly calls: string[] = [];
  /** Behave like an RGW that does not honour a chosen access key id. */
  ignoreChosenIds = false;
  private lost = new Set<Operation>();
  private secrets = 0;

  loseAnswer(operation: Operation): void {
    this.lost.add(operation);
  }

  /** A user as an operator would make it with radosgw-admin (RGW-chosen key id unless given). */
  addUser(uid: string, displayName: string, accessKeys: string[] = []): void {
    this.users.set(uid, { displayName, suspended: false, keys: accessKeys.map((accessKey) => this.key(uid, accessKey)) });
  }

  addKey(uid: string, accessKey: string): void {
    this.need(uid).keys.push(this.key(uid, accessKey));
  }

  keyIds(uid: string): string[] {
    return this.need(uid).keys.map((key) => key.accessKey);
  }

  async getUser(uid: string): Promise<RgwUserInfo | undefined> {
    return this.answer("getUser", () => (this.users.has(uid) ? this.info(uid) : undefined));
  }

  async createUser(uid: string, displayName: string, accessKey?: string): Promise<RgwUserInfo> {
    return this.answer("createUser", () => {
      if (this.users.has(uid)) throw this.error("conflict", 409, "UserAlreadyExists");
      const id = this.ignoreChosenIds ? undefined : accessKey;
      this.users.set(uid, { displayName, suspended: false, keys: [this.key(uid, id ?? this.randomId())] });
      return this.info(uid);
    });
  }

  async modifyUser(uid: string, displayName: string, attributes: RgwUserAttributes = {}): Promise<RgwUserInfo> {
    return this.answer("modifyUser", () => {
      const user = this.need(uid);
      user.displayName = displayName;
      if (attributes.suspended !== undefined) user.suspended = attributes.suspended;
      return this.info(uid);
    });
  }

  async createKey(uid: string, accessKey?: string): Promise<RgwKey[]> {
    return this.answer("createKey", () => {
      const id = accessKey ?? this.randomId();
      if ([...this.users.values()].some((user) => user.keys.some((key) => key.accessKey === id))) throw this.error("conflict", 409, "KeyExists");
      this.need(uid).keys.push(this.key(uid, id));
      return this.info(uid).keys;
    });
  }

  async removeKey(accessKey: string): Promise<void> {
    return this.answer("removeKey", () => {
      const owner = [...this.users.values()].find((user) => user.keys.some((key) => key.accessKey === accessKey));
      if (!owner) throw this.error("missingCaps", 403, "AccessDenied");
      owner.keys = owner.keys.filter((key) => key.accessKey !== accessKey);
    });
  }

  async deleteUser(uid: string): Promise<void> {
    return this.answer("deleteUser", () => {
      if (!this.users.delete(uid)) throw this.error("notFound", 404, "NoSuchUser");
    });
  }

  private answer<T>(operation: Operation, act: () => T): T {
    this.calls.push(operation);
    const result = act();
    if (this.lost.delete(operation)) throw this.error("timeout", undefined, "ETIMEDOUT");
    return result;
  }

  private need(uid: string) {
    const user = this.users.get(uid);
    if (!user) throw this.error("notFound", 404, "NoSuchUser");
    return user;
  }

  private info(uid: string): RgwUserInfo {
    const user = this.need(uid);
    return { uid, displayName: user.displayName, email: "", suspended: user.suspended, maxBuckets: 1000, keys: user.keys.map((key) => ({ ...key })) };
  }

  private key(uid: string, accessKey: string): RgwKey {
    this.secrets += 1;
    return { user: uid, accessKey, secretKey: `secret-${this.secrets}-of-${accessKey}` };
  }

  private randomId(): string {
    return `RGW${String(this.secrets + 1).padStart(17, "0")}`;
  }

  private error(kind: RgwError["kind"], status: number | undefined, code: string): RgwError {
    return rgwError(`fake RGW: ${code}`, { kind, endpoint: ENDPOINT, status, code });
  }
}

/**
 * A loopback S3 endpoint for GET/PUT/DELETE /<bucket>?lifecycle: it keeps each bucket's document as the
 * client sent it and returns it as is (the same XML). `hang` makes it accept requests and never answer.
 */
export class FakeS3 {
  readonly lifecycles = new Map<string, string>();
  readonly buckets = new Set<string>();
  hang = false;
  private server: Server | undefined;
  private open = new Set<ServerResponse>();

  async start(): Promise<string> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const response of this.open) response.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (this.hang) {
      this.open.add(response);
      return;
    }
    let body = "";
    for await (const chunk of request) body += String(chunk);
    const bucket = decodeURIComponent((request.url ?? "/").split("?")[0].replace(/^\/+|\/+$/g, ""));
    const fail = (status: number, code: string) => {
      response.writeHead(status, { "content-type": "application/xml" }).end(`<Error><Code>${code}</Code></Error>`);
    };
    if (!this.buckets.has(bucket)) return fail(404, "NoSuchBucket");
    if (request.method === "PUT") {
      this.lifecycles.set(bucket, body);
      response.writeHead(200).end();
    } else if (request.method === "DELETE") {
      this.lifecycles.delete(bucket);
      response.writeHead(204).end();
    } else {
      const document = this.lifecycles.get(bucket);
      if (document === undefined) return fail(404, "NoSuchLifecycleConfiguration");
      response.writeHead(200, { "content-type": "application/xml" }).end(document);
    }
  }
}
