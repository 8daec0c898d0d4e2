// The registry (plain v2 API with basic or token auth): the exported image reference resolves by digest,
// the tag points at the same image, the config has the Dockerfile's labels, and the last layer holds
// exactly the locked jars (names, sizes, sha256).
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { networkErrorCode } from "../providers/errors";
import { type CheckResult, compared, errorText, failure, notChecked, pass } from "./checks";
import { type Bounded, Deadlines, isNoAnswer } from "./deadline";
import { differences } from "./diff";
import type { ExpectedImage } from "./expected";

// ---------------------------------------------------------------------------------------------
// Pure

export const MANIFEST_TYPES = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
] as const;

export const sha256Digest = (data: Uint8Array): string => `sha256:${createHash("sha256").update(data).digest("hex")}`;

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** `Bearer realm="https://auth",service="registry"` → { scheme: "bearer", params }. */
export function parseChallenge(header: string): Challenge {
  const space = header.indexOf(" ");
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const params: Record<string, string> = {};
  for (const match of header.slice(space + 1).matchAll(/([A-Za-z]+)="([^"]*)"/g)) params[match[1].toLowerCase()] = match[2];
  return { scheme, params };
}

export interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  platform?: { os?: string; architecture?: string; variant?: string };
}

export type Manifest = { kind: "index"; manifests: Descriptor[] } | { kind: "image"; config: Descriptor; layers: Descriptor[] };

export function parseManifest(json: unknown): Manifest {
  const doc = json as { manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] };
  if (Array.isArray(doc.manifests)) return { kind: "index", manifests: doc.manifests };
  if (doc.config && Array.isArray(doc.layers)) return { kind: "image", config: doc.config, layers: doc.layers };
  throw new Error("not an image manifest or index");
}

export function selectPlatform(manifests: readonly Descriptor[], platform: string): Descriptor | undefined {
  const [os, architecture] = platform.split("/");
  return manifests.find((m) => m.platform?.os === os && m.platform?.architecture === architecture);
}

export interface TarEntry {
  path: string;
  /** "file", "dir", "symlink", ... */
  type: string;
  size: number;
  sha256?: string;
}

const cString = (block: Uint8Array, start: number, length: number): string => {
  const bytes = block.subarray(start, start + length);
  const end = bytes.indexOf(0);
  return Buffer.from(end < 0 ? bytes : bytes.subarray(0, end)).toString("utf8");
};

function octal(block: Uint8Array, start: number, length: number): number {
  // Base-256 sizes (GNU) for files over 8 GiB: not expected for jars, refused clearly.
  if ((block[start] & 0x80) !== 0) throw new Error("tar: base-256 size fields are not supported");
  const text = cString(block, start, length).trim();
  return text === "" ? 0 : parseInt(text, 8);
}

function paxRecords(data: Uint8Array): Record<string, string> {
  const records: Record<string, string> = {};
  let text = Buffer.from(data).toString("utf8");
  while (text.length > 0) {
    const space = text.indexOf(" ");
    const length = Number(text.slice(0, space));
    if (!Number.isFinite(length) || length <= 0) break;
    const record = Buffer.from(text).subarray(0, length).toString("utf8");
    const body = record.slice(space + 1, -1);
    const eq = body.indexOf("=");
    records[body.slice(0, eq)] = body.slice(eq + 1);
    text = Buffer.from(text).subarray(length).toString("utf8");
  }
  return records;
}

const TYPES: Record<string, string> = { "0": "file", "\0": "file", "": "file", "1": "hardlink", "2": "symlink", "5": "dir", "7": "file" };

/** The entries of an uncompressed tar (ustar, pax and GNU long names), with each file's sha256. */
export function tarEntries(tar: Uint8Array): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const typeflag = String.fromCharCode(header[156]);
    let size = octal(header, 124, 12);
    const data = (length: number) => tar.subarray(offset + 512, offset + 512 + length);
    if (typeflag === "x" || typeflag === "g") {
      const records = paxRecords(data(size));
      if (typeflag === "x") pax = records;
    } else if (typeflag === "L") {
      longName = cString(data(size), 0, size);
    } else {
      const prefix = cString(header, 345, 155);
      const name = cString(header, 0, 100);
      const path = (pax.path ?? longName ?? (prefix ? `${prefix}/${name}` : name)).replace(/^\.?\//, "").replace(/\/$/, "");
      if (pax.size !== undefined) size = Number(pax.size);
      const type = TYPES[typeflag] ?? `type ${typeflag}`;
      entries.push({ path, type, size, ...(type === "file" && { sha256: createHash("sha256").update(data(size)).digest("hex") }) });
      pax = {};
      longName = undefined;
    }
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return entries;
}

/** What verify read from the registry. */
export interface ObservedImage {
  /** sha256 of the manifest bytes served for the exported digest (or the platform image under an index). */
  manifestDigest: string;
  /** The image manifest's digest when the reference is an index (platform-specific image). */
  platformDigest?: string;
  /** The digest the tag resolves to, or why it does not. */
  tag: { digest: string } | { error: string };
  labels: Record<string, string>;
  /** The config's Env (`NAME=value`) and User. */
  env: string[];
  user?: string;
  lastLayer: { mediaType: string; digest: string; blobDigest?: string; entries?: TarEntry[]; error?: string };
}

/** The entries of a gzip-compressed tar layer as the registry serves it. */
export function layerEntries(blob: Uint8Array): TarEntry[] {
  return tarEntries(gunzipSync(blob));
}

export function imageChecks(expected: ExpectedImage, observed: ObservedImage): CheckResult[] {
  const ref = `${expected.registry}/${expected.repository}@${expected.digest}`;
  const base = (check: string) => ({ system: "registry" as const, subject: `image ${expected.registry}/${expected.repository}`, check });
  const results: CheckResult[] = [];
  results.push(
    observed.manifestDigest === expected.digest
      ? pass(base("digest"), expected.digest)
      : failure(base("digest"), `manifest with digest ${expected.digest}`, `content with digest ${observed.manifestDigest}`),
  );
  if ("error" in observed.tag) results.push(failure(base(`tag ${expected.tag}`), expected.digest, observed.tag.error));
  else
    results.push(
      observed.tag.digest === expected.digest
        ? pass(base(`tag ${expected.tag}`), `→ ${expected.digest}`)
        : failure(base(`tag ${expected.tag}`), `→ ${expected.digest} (the stack's ${ref})`, `→ ${observed.tag.digest} (another image)`),
    );

  const labelDiffs = Object.entries(expected.labels).flatMap(([key, value]) =>
    observed.labels[key] === value
      ? []
      : [`${key}: expected ${JSON.stringify(value)}, found ${observed.labels[key] === undefined ? "(absent)" : JSON.stringify(observed.labels[key])}`],
  );
  results.push(compared(base("labels"), `${Object.keys(expected.labels).length} labels`, labelDiffs));
  const env = Object.fromEntries(observed.env.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
  const envDiffs = Object.entries(expected.env).flatMap(([key, value]) =>
    env[key] === value ? [] : [`${key}: expected ${JSON.stringify(value)}, found ${env[key] === undefined ? "(absent)" : JSON.stringify(env[key])}`],
  );
  if (Object.keys(expected.env).length > 0) results.push(compared(base("env"), Object.keys(expected.env).join(", "), envDiffs));
  if (expected.user !== undefined)
    results.push(observed.user === expected.user ? pass(base("user"), expected.user) : failure(base("user"), expected.user, observed.user || "(none: root)"));

  const layer = observed.lastLayer;
  const check = base("jar layer");
  if (layer.blobDigest !== undefined && layer.blobDigest !== layer.digest)
    results.push(failure(check, `blob ${layer.digest}`, `content with digest ${layer.blobDigest}`));
  else if (layer.error || !layer.entries) results.push(failure(check, "a readable tar.gz layer", layer.error ?? "no entries"));
  else {
    const files = layer.entries.filter((e) => e.type !== "dir");
    const prefix = `${expected.jarDir}/`;
    const found = Object.fromEntries(
      files.map((f) => [f.path.startsWith(prefix) ? f.path.slice(prefix.length) : `/${f.path}`, { sizeBytes: f.size, sha256: f.sha256 ?? `(${f.type})` }]),
    );
    const wanted = Object.fromEntries(expected.jars.map((j) => [j.file, { sizeBytes: j.sizeBytes, sha256: j.sha256 }]));
    const diffs = differences(wanted, found, "").map((d) => d.replace(/^\.?/, ""));
    results.push(compared(check, `${expected.jars.length} locked jars in /${expected.jarDir}`, diffs));
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// I/O

export interface RegistryAuth {
  username?: string;
  password?: string;
}

export interface RegistryClient {
  /** Manifest bytes and media type for a tag or digest. */
  manifest(repository: string, reference: string): Promise<{ body: Uint8Array; mediaType: string }>;
  blob(repository: string, digest: string): Promise<Uint8Array>;
}

/** Loopback registries speak plain HTTP (as Docker assumes); others HTTPS unless told otherwise. */
export function registryBaseUrl(registry: string, plainHttp: boolean): string {
  const host = registry.replace(/:\d+$/, "");
  const loopback = host === "localhost" || /^127\./.test(host) || host === "[::1]";
  return `${plainHttp || loopback ? "http" : "https"}://${registry}`;
}

/** How verify names the registry when it does not answer, and where its address comes from. */
export const registrySystem = (baseUrl: string): string => `the registry at ${baseUrl}`;
export const REGISTRY_HINT = "check config imageRegistry";

/** A response's body, read chunk by chunk: each chunk tells the deadline the download is alive. */
async function readBody(response: Response, alive: () => void): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const chunks: Uint8Array[] = [];
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    alive();
  }
  return new Uint8Array(Buffer.concat(chunks));
}

export function createRegistryClient(
  baseUrl: string,
  auth: RegistryAuth,
  fetchImpl: typeof fetch = fetch,
  bounded: Bounded = new Deadlines().for(registrySystem(baseUrl), REGISTRY_HINT),
): RegistryClient {
  const authorizations = new Map<string, string>();
  const basic = auth.username !== undefined ? `Basic ${Buffer.from(`${auth.username}:${auth.password ?? ""}`).toString("base64")}` : undefined;

  async function authorize(challengeHeader: string, repository: string): Promise<string> {
    const challenge = parseChallenge(challengeHeader);
    if (challenge.scheme === "basic") {
      if (!basic)
        throw new Error(
          "the registry wants credentials: set IMAGE_REGISTRY_USERNAME/IMAGE_REGISTRY_PASSWORD (or the stack's imageRegistryUsername/imageRegistryPassword)",
        );
      return basic;
    }
    if (challenge.scheme !== "bearer" || !challenge.params.realm) throw new Error(`unsupported registry auth challenge: ${challengeHeader}`);
    const url = new URL(challenge.params.realm);
    if (challenge.params.service) url.searchParams.set("service", challenge.params.service);
    url.searchParams.set("scope", `repository:${repository}:pull`);
    // The token service may be another host: it gets its own name in messages and its own deadline.
    const body = await bounded(`GET token ${url.origin}${url.pathname}`, async (signal) => {
      const response = await fetchImpl(url, { headers: basic ? { Authorization: basic } : {}, signal });
      if (!response.ok) throw new Error(`registry token endpoint ${url.origin}${url.pathname}: ${response.status}`);
      return (await response.json()) as { token?: string; access_token?: string };
    });
    const token = body.token ?? body.access_token;
    if (!token) throw new Error("registry token endpoint returned no token");
    return `Bearer ${token}`;
  }

  type Answer = { ok: true; body: Uint8Array; mediaType: string } | { ok: false; status: number; challenge: string | null; text: string };
  /** One GET with its body; a 401 is answered once with the registry's challenge. */
  async function get(repository: string, path: string, accept?: string): Promise<{ body: Uint8Array; mediaType: string }> {
    const url = `${baseUrl}/v2/${repository}/${path}`;
    const send = (authorization: string | undefined) =>
      bounded(`GET /v2/${repository}/${path}`, async (signal, alive): Promise<Answer> => {
        let response: Response;
        try {
          response = await fetchImpl(url, { headers: { ...(accept && { Accept: accept }), ...(authorization && { Authorization: authorization }) }, signal });
        } catch (error) {
          if (isNoAnswer(error) || signal.aborted) throw error;
          throw new Error(`cannot reach the registry at ${baseUrl}: ${networkErrorCode(error) ?? errorText(error)} — ${REGISTRY_HINT}`);
        }
        if (!response.ok) return { ok: false, status: response.status, challenge: response.headers.get("www-authenticate"), text: await response.text() };
        return { ok: true, body: await readBody(response, alive), mediaType: response.headers.get("content-type") ?? "" };
      });
    let answer = await send(authorizations.get(repository));
    if (!answer.ok && answer.status === 401) {
      if (!answer.challenge) throw new Error(`${url}: 401 without an auth challenge`);
      authorizations.set(repository, await authorize(answer.challenge, repository));
      answer = await send(authorizations.get(repository));
    }
    if (!answer.ok) {
      const code = /"code"\s*:\s*"([A-Z_]+)"/.exec(answer.text)?.[1];
      throw new Error(
        `GET /v2/${repository}/${path}: ${answer.status}${code ? ` ${code}` : ""}${answer.status === 401 ? " (credentials rejected: check IMAGE_REGISTRY_USERNAME/IMAGE_REGISTRY_PASSWORD)" : ""}`,
      );
    }
    return { body: answer.body, mediaType: answer.mediaType };
  }

  return {
    manifest: (repository, reference) => get(repository, `manifests/${reference}`, MANIFEST_TYPES.join(", ")),
    blob: async (repository, digest) => (await get(repository, `blobs/${digest}`)).body,
  };
}

async function observeImage(client: RegistryClient, expected: ExpectedImage): Promise<ObservedImage> {
  const top = await client.manifest(expected.repository, expected.digest);
  const manifestDigest = sha256Digest(top.body);
  let manifest = parseManifest(JSON.parse(Buffer.from(top.body).toString("utf8")));
  let platformDigest: string | undefined;
  if (manifest.kind === "index") {
    const chosen = selectPlatform(manifest.manifests, expected.platform);
    if (!chosen) throw new Error(`the index ${expected.digest} has no ${expected.platform} image`);
    platformDigest = chosen.digest;
    manifest = parseManifest(JSON.parse(Buffer.from((await client.manifest(expected.repository, chosen.digest)).body).toString("utf8")));
  }
  if (manifest.kind !== "image") throw new Error("nested index");
  let tag: ObservedImage["tag"];
  try {
    tag = { digest: sha256Digest((await client.manifest(expected.repository, expected.tag)).body) };
  } catch (error) {
    tag = { error: errorText(error) };
  }
  const config = JSON.parse(Buffer.from(await client.blob(expected.repository, manifest.config.digest)).toString("utf8")) as {
    config?: { Labels?: Record<string, string>; Env?: string[]; User?: string };
  };
  const last = manifest.layers[manifest.layers.length - 1];
  const lastLayer: ObservedImage["lastLayer"] = { mediaType: last?.mediaType ?? "", digest: last?.digest ?? "" };
  if (!last) lastLayer.error = "the image has no layers";
  else if (!/tar\+gzip$|tar\.gzip$|rootfs\.diff\.tar\.gzip$/.test(last.mediaType ?? ""))
    lastLayer.error = `layer media type ${last.mediaType} is not a gzip tar`;
  else {
    try {
      const blob = await client.blob(expected.repository, last.digest);
      lastLayer.blobDigest = sha256Digest(blob);
      lastLayer.entries = layerEntries(blob);
    } catch (error) {
      lastLayer.error = errorText(error);
    }
  }
  return {
    manifestDigest,
    ...(platformDigest && { platformDigest }),
    tag,
    labels: config.config?.Labels ?? {},
    env: config.config?.Env ?? [],
    ...(config.config?.User !== undefined && { user: config.config.User }),
    lastLayer,
  };
}

export async function verifyRegistry(expected: ExpectedImage, client: RegistryClient): Promise<CheckResult[]> {
  try {
    return imageChecks(expected, await observeImage(client, expected));
  } catch (error) {
    return [
      notChecked({ system: "registry", subject: `image ${expected.registry}/${expected.repository}@${expected.digest}`, check: "resolves" }, errorText(error)),
    ];
  }
}
