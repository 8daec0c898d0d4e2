// known_hosts as source-controller reads it (Go's golang.org/x/crypto/ssh/knownhosts): what config
// checks in fluxKnownHosts before Flux would fail with an opaque "knownhosts: key is unknown".
import { createHmac } from "node:crypto";

/** Host key types Go's SSH client verifies; a line of another type can never match the server. */
export const SUPPORTED_HOST_KEY_TYPES: readonly string[] = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "ssh-rsa",
  "sk-ssh-ed25519@openssh.com",
  "sk-ecdsa-sha2-nistp256@openssh.com",
];

/** Types people paste that are not key types, with what to write instead. */
const NOT_KEY_TYPES: Readonly<Record<string, string>> = {
  "rsa-sha2-256": "an RSA key's type is ssh-rsa (rsa-sha2-256 names a signature algorithm)",
  "rsa-sha2-512": "an RSA key's type is ssh-rsa (rsa-sha2-512 names a signature algorithm)",
  "ssh-dss":
    "DSA host keys are disabled in OpenSSH since 7.0 and not offered by Go's SSH client: use the server's ed25519 or ecdsa key (ssh-keyscan -t ed25519 <host>)",
};

export interface KnownHostsLine {
  /** 1-based line number in the value. */
  line: number;
  marker?: "@cert-authority" | "@revoked";
  /** Comma-separated host patterns, as written (hashed `|1|salt|hash` or plain, `[host]:port` or `host`). */
  hosts: string[];
  keyType: string;
}

/** The name Go's knownhosts looks a server up by: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsAddress(host: string, port: number): string {
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  return port === 22 ? bare : `[${bare}]:${port}`;
}

/** The host and port Flux dials for an ssh:// URL (undefined for other URLs). */
export function sshHostAndPort(gitUrl: string): { host: string; port: number } | undefined {
  if (!gitUrl.startsWith("ssh://")) return undefined;
  try {
    const url = new URL(gitUrl);
    return { host: url.hostname.replace(/^\[(.*)\]$/, "$1"), port: url.port === "" ? 22 : Number(url.port) };
  } catch {
    return undefined;
  }
}

const wildcard = (pattern: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
    "i",
  );

/** One host pattern against a looked-up address (hashed patterns are compared by their HMAC-SHA1). */
function patternMatches(pattern: string, address: string): boolean {
  const hashed = /^\|1\|([^|]+)\|([^|]+)$/.exec(pattern);
  if (hashed) return createHmac("sha1", Buffer.from(hashed[1], "base64")).update(address).digest("base64") === hashed[2];
  const bracketed = /^\[(.+)\]:([0-9]+)$/.exec(pattern);
  const [host, port] = bracketed ? [bracketed[1], Number(bracketed[2])] : [pattern, 22];
  const wanted = /^\[(.+)\]:([0-9]+)$/.exec(address);
  const [addressHost, addressPort] = wanted ? [wanted[1], Number(wanted[2])] : [address, 22];
  return port === addressPort && wildcard(host).test(addressHost);
}

/** Whether a line's host patterns accept the address (a negated pattern that matches rules the line out). */
export function lineMatches(line: Pick<KnownHostsLine, "hosts">, address: string): boolean {
  if (line.hosts.some((p) => p.startsWith("!") && patternMatches(p.slice(1), address))) return false;
  return line.hosts.some((p) => !p.startsWith("!") && patternMatches(p, address));
}

/** The key type written inside the base64 blob (uint32 length, then the name), or undefined if unreadable. */
function blobKeyType(base64: string): string | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return undefined;
  const blob = Buffer.from(base64, "base64");
  if (blob.length < 4) return undefined;
  const length = blob.readUInt32BE(0);
  if (length === 0 || length > 64 || blob.length < 4 + length) return undefined;
  return blob.subarray(4, 4 + length).toString("latin1");
}

export interface KnownHostsResult {
  lines: KnownHostsLine[];
  problems: string[];
}

/** Parses known_hosts text: every problem in one pass, each naming its line. Blank lines and comments are skipped. */
export function parseKnownHosts(text: string): KnownHostsResult {
  const lines: KnownHostsLine[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const fields = trimmed.split(/\s+/);
    const marker = fields[0] === "@cert-authority" || fields[0] === "@revoked" ? (fields.shift() as KnownHostsLine["marker"]) : undefined;
    if (fields[0]?.startsWith("@")) return void problems.push(`line ${line}: unknown marker ${fields[0]} (known: @cert-authority, @revoked)`);
    if (fields.length < 3) {
      return void problems.push(
        `line ${line}: expected "<hosts> <key type> <base64 key>" (as ssh-keyscan prints it), got ${fields.length} field${fields.length === 1 ? "" : "s"}`,
      );
    }
    const [hosts, keyType, key] = fields;
    if (!SUPPORTED_HOST_KEY_TYPES.includes(keyType)) {
      const why = NOT_KEY_TYPES[keyType] ?? `not a host key type Flux's SSH client verifies (supported: ${SUPPORTED_HOST_KEY_TYPES.join(", ")})`;
      return void problems.push(`line ${line}: key type ${keyType}: ${why}`);
    }
    const inBlob = blobKeyType(key);
    if (inBlob === undefined) return void problems.push(`line ${line}: the key is not a base64 SSH public key (copy the whole line from ssh-keyscan)`);
    if (inBlob !== keyType)
      return void problems.push(`line ${line}: the line says ${keyType} but the key is ${inBlob} (the line was pieced together from two keys)`);
    lines.push({ line, ...(marker ? { marker } : {}), hosts: hosts.split(","), keyType });
  });
  return { lines, problems };
}

/**
 * Everything wrong with fluxKnownHosts for this Git URL: unparseable lines, unsupported key types, and no
 * line for the address Flux looks the server up by (with the `[host]:port` form named when that is why).
 */
export function knownHostsProblems(text: string, gitUrl: string | undefined): string[] {
  const { lines, problems } = parseKnownHosts(text);
  if (lines.length === 0 && problems.length === 0) return ["has no known_hosts line (blank lines and # comments only)"];
  const server = gitUrl === undefined ? undefined : sshHostAndPort(gitUrl);
  if (server === undefined || problems.length > 0) return problems;
  const address = knownHostsAddress(server.host, server.port);
  const usable = lines.filter((l) => l.marker !== "@revoked");
  if (usable.some((l) => lineMatches(l, address))) return problems;
  const onPort22 = usable.filter((l) => lineMatches(l, knownHostsAddress(server.host, 22)));
  if (server.port !== 22 && onPort22.length > 0) {
    return [
      `line ${onPort22[0].line} is for ${server.host} on port 22, but fluxGitUrl uses port ${server.port}: Flux looks the server up as ${address}, so the line must start with ${address} ` +
        `(ssh-keyscan -p ${server.port} ${server.host} writes it that way); as written the GitRepository fails "knownhosts: key is unknown"`,
    ];
  }
  return [
    `no line is for ${address}, the host${server.port === 22 ? "" : " and port"} of fluxGitUrl: the GitRepository would fail "knownhosts: key is unknown" ` +
      `(get the line with ssh-keyscan${server.port === 22 ? "" : ` -p ${server.port}`} ${server.host}, and check it against the host's published fingerprints)`,
  ];
}
