// Loopback stand-ins for what the adoption plan reads, each recording every request and answering any
// method other than GET and HEAD with 405 (and recording it as a write): RGW (Admin Ops user and bucket info,
// the S3 bucket settings), a Kubernetes API server (discovery and GET of single objects). 1Password Connect
// is tests/lib/fakes/connect.ts, which does the same.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Recorded {
  url: string;
  /** Every request as `METHOD path?query`. */
  requests: string[];
  /** Requests with any method but GET and HEAD. */
  writes(): string[];
  close(): Promise<void>;
}

async function listen(handler: (method: string, url: URL, send: (status: number, body: string, type?: string) => void) => void): Promise<Recorded> {
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://fake");
    const method = request.method ?? "GET";
    requests.push(`${method} ${url.pathname}${url.search}`);
    const send = (status: number, body: string, type = "application/json") => {
      response.writeHead(status, { "content-type": type });
      response.end(method === "HEAD" ? undefined : body);
    };
    request.resume();
    if (method !== "GET" && method !== "HEAD") return send(405, JSON.stringify({ message: "read-only stand-in: method not allowed" }));
    handler(method, url, send);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    writes: () => requests.filter((r) => !r.startsWith("GET ") && !r.startsWith("HEAD ")),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface FakeBucket {
  owner: string;
  objects: number;
  size: number;
  /** GetBucketVersioning Status; absent: never configured. */
  versioning?: "Enabled" | "Suspended";
  /** The LifecycleConfiguration XML's <Rule> elements; absent: no lifecycle. */
  lifecycleRules?: string[];
  policy?: string;
}

export interface FakeRgwState {
  users: Record<string, { suspended?: boolean; keys: { accessKey: string; secretKey: string }[] }>;
  buckets: Record<string, FakeBucket>;
}

const xmlError = (code: string) => `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code></Error>`;

/** RGW as the plan reads it; it checks no signature (the planner's signing is RGW's real one, run in the e2e test). */
export function startFakeRgw(state: FakeRgwState): Promise<Recorded> {
  return listen((method, url, send) => {
    const xml = (status: number, body: string) => send(status, body, "application/xml");
    if (url.pathname === "/admin/user") {
      const uid = url.searchParams.get("uid") ?? "";
      const user = state.users[uid];
      if (!user) return send(404, JSON.stringify({ Code: "NoSuchUser" }));
      return send(
        200,
        JSON.stringify({
          user_id: uid,
          display_name: uid,
          email: "",
          suspended: user.suspended ? 1 : 0,
          max_buckets: 1000,
          keys: user.keys.map((k) => ({ user: uid, access_key: k.accessKey, secret_key: k.secretKey })),
        }),
      );
    }
    if (url.pathname === "/admin/bucket") {
      const name = url.searchParams.get("bucket") ?? "";
      const bucket = state.buckets[name];
      if (!bucket) return send(404, JSON.stringify({ Code: "NoSuchBucket" }));
      return send(
        200,
        JSON.stringify({
          bucket: name,
          owner: bucket.owner,
          usage: { "rgw.main": { size: bucket.size, size_actual: bucket.size, num_objects: bucket.objects } },
        }),
      );
    }
    const name = decodeURIComponent(url.pathname.replace(/^\/+|\/+$/g, ""));
    const bucket = state.buckets[name];
    if (!bucket) return xml(404, xmlError("NoSuchBucket"));
    if (method === "HEAD") return xml(200, "");
    if (url.searchParams.has("versioning")) {
      return xml(
        200,
        `<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${bucket.versioning ? `<Status>${bucket.versioning}</Status>` : ""}</VersioningConfiguration>`,
      );
    }
    if (url.searchParams.has("lifecycle")) {
      if (!bucket.lifecycleRules) return xml(404, xmlError("NoSuchLifecycleConfiguration"));
      return xml(200, `<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${bucket.lifecycleRules.join("")}</LifecycleConfiguration>`);
    }
    if (url.searchParams.has("policy")) {
      if (bucket.policy === undefined) return xml(404, xmlError("NoSuchBucketPolicy"));
      return send(200, bucket.policy);
    }
    if (url.searchParams.has("acl")) {
      const owner = `<ID>${bucket.owner}</ID><DisplayName>${bucket.owner}</DisplayName>`;
      return xml(
        200,
        `<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner>${owner}</Owner><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">${owner}</Grantee><Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>`,
      );
    }
    return xml(400, xmlError("InvalidRequest"));
  });
}

/** Kinds the stand-in API server serves: [group/version, kind, plural, namespaced]. */
const KINDS: [string, string, string, boolean][] = [
  ["v1", "Namespace", "namespaces", false],
  ["v1", "Secret", "secrets", true],
  ["v1", "ConfigMap", "configmaps", true],
  ["source.toolkit.fluxcd.io/v1", "GitRepository", "gitrepositories", true],
  ["kustomize.toolkit.fluxcd.io/v1", "Kustomization", "kustomizations", true],
  ["apiextensions.k8s.io/v1", "CustomResourceDefinition", "customresourcedefinitions", false],
];

export interface FakeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
}

/** A Kubernetes API server holding `objects`; client-node discovers the kinds, then GETs each object. */
export function startFakeKubernetes(objects: FakeObject[]): Promise<Recorded> {
  return listen((_method, url, send) => {
    const path = url.pathname;
    const notFound = () =>
      send(404, JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", reason: "NotFound", code: 404, message: `${path} not found` }));
    for (const groupVersion of [...new Set(KINDS.map(([gv]) => gv))]) {
      const base = groupVersion === "v1" ? "/api/v1" : `/apis/${groupVersion}`;
      if (path === base) {
        return send(
          200,
          JSON.stringify({
            kind: "APIResourceList",
            groupVersion,
            resources: KINDS.filter(([gv]) => gv === groupVersion).map(([, kind, name, namespaced]) => ({
              name,
              kind,
              namespaced,
              singularName: kind.toLowerCase(),
              verbs: ["get", "list"],
            })),
          }),
        );
      }
      for (const [gv, kind, plural, namespaced] of KINDS.filter(([gv]) => gv === groupVersion)) {
        const pattern = namespaced ? new RegExp(`^${base}/namespaces/([^/]+)/${plural}/([^/]+)$`) : new RegExp(`^${base}/${plural}/([^/]+)$`);
        const match = pattern.exec(path);
        if (!match) continue;
        const [namespace, name] = namespaced ? [match[1], match[2]] : [undefined, match[1]];
        const found = objects.find((o) => o.apiVersion === gv && o.kind === kind && o.metadata.name === name && o.metadata.namespace === namespace);
        return found ? send(200, JSON.stringify(found)) : notFound();
      }
    }
    return notFound();
  });
}

/** A kubeconfig (YAML) pointing client-node at the stand-in. */
export const kubeconfigFor = (server: string): string =>
  [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    `- name: fake`,
    `  cluster: { server: "${server}", insecure-skip-tls-verify: true }`,
    "users:",
    "- name: fake",
    "  user: { token: fake-token }",
    "contexts:",
    "- name: fake",
    "  context: { cluster: fake, user: fake }",
    "current-context: fake",
    "",
  ].join("\n");
