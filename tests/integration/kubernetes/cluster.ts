/**
 * A real Kubernetes control plane with real Flux controllers for integration tests, all local processes on
 * 127.0.0.1, started by PID and stopped after (docs/flux.md, "Tested against a real cluster"):
 *
 * - etcd (Debian etcd-server) and kube-apiserver v1.37.2 with a throwaway PKI made by openssl;
 * - kube-controller-manager running only the garbage collector and the namespace controller: no kubelet or
 *   scheduler (nothing here needs a pod to run), but the Kubernetes provider deletes with foreground
 *   propagation, which waits for the collector, and a deleted Namespace waits for the namespace controller;
 * - the Flux CRDs (from the controllers' own modules) and the External Secrets CRDs;
 * - a loopback OpenSSH Git server: its own sshd config and host key, the `git` user (git-shell, made by
 *   git-user.sh), one deploy key;
 * - Flux's source-controller and kustomize-controller v1.9.6 (RUNTIME_NAMESPACE=flux-system, no leader
 *   election, no events, kustomize-controller --requeue-dependency=5s).
 *
 * The binaries come from `.ci/kubernetes.sh` (cached builds from the Go module proxy):
 *
 *   export KUBERNETES_TEST_BIN="$(bash .ci/kubernetes.sh)"     # before jest; the suite fails without it
 *
 * Needs root (sshd logs in as another user), etcd, sshd, openssl, ssh-keygen, git and kubectl.
 * KUBERNETES_TEST_KEEP=1 keeps the temp folder (logs, PKI, repositories) after stop().
 */
import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  closeSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { createServer, createConnection, type Server } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { isAlive, isExecutable } from "../lib/processes";

const projectRoot = resolve(__dirname, "../../..");

const HOW_TO_BUILD = 'run `export KUBERNETES_TEST_BIN="$(bash .ci/kubernetes.sh)"` first (it builds the cluster parts once, then reuses the cache)';
/** Flux's namespace: the controllers' RUNTIME_NAMESPACE and where the stack puts its Flux objects. */
export const FLUX_NAMESPACE = "flux-system";
/** kustomize-controller's requeue of a Kustomization waiting for its dependencies (Flux's default is 30 s). */
export const REQUEUE_DEPENDENCY = "5s";
const GIT_USER = "git";
const GIT_BRANCH = "main";

export interface KubernetesBinaries {
  /** The folder `.ci/kubernetes.sh` printed. */
  binDir: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  sourceController: string;
  kustomizeController: string;
  /** The External Secrets controller, when it was built (`bash .ci/kubernetes.sh external-secrets`). */
  externalSecrets?: string;
  /** The folder holding only pulumi-resource-kubernetes: put it on the engine's PATH (or it is in $PULUMI_HOME/plugins). */
  providerDir?: string;
  /** CRD folders by controller (config/crd/bases of its module). */
  crdDirs: Record<string, string>;
}

/** The binaries of `.ci/kubernetes.sh` from $KUBERNETES_TEST_BIN; throws (failing the suite, never skipping it) when missing. */
export function findKubernetesBinaries(): KubernetesBinaries {
  const binDir = process.env.KUBERNETES_TEST_BIN;
  if (!binDir) throw new Error(`KUBERNETES_TEST_BIN is not set: ${HOW_TO_BUILD}`);
  const required = ["kube-apiserver", "kube-controller-manager", "source-controller", "kustomize-controller"];
  const missing = required.filter((name) => !isExecutable(join(binDir, name)));
  if (missing.length > 0) throw new Error(`${missing.join(", ")} not found in ${binDir}: ${HOW_TO_BUILD}`);
  const crdRoot = join(dirname(binDir), "crds");
  const crdDirs = Object.fromEntries(
    existsSync(crdRoot)
      ? readdirSync(crdRoot)
          .filter((name) => !name.startsWith("."))
          .map((name) => [name, join(crdRoot, name)])
      : [],
  );
  for (const name of ["source-controller", "kustomize-controller"]) {
    if (!crdDirs[name]) throw new Error(`the ${name} CRDs are not in ${crdRoot}: ${HOW_TO_BUILD}`);
  }
  const provider = join(dirname(binDir), "plugin");
  return {
    binDir,
    kubeApiserver: join(binDir, "kube-apiserver"),
    kubeControllerManager: join(binDir, "kube-controller-manager"),
    sourceController: join(binDir, "source-controller"),
    kustomizeController: join(binDir, "kustomize-controller"),
    externalSecrets: isExecutable(join(binDir, "external-secrets")) ? join(binDir, "external-secrets") : undefined,
    providerDir: isExecutable(join(provider, "pulumi-resource-kubernetes")) ? provider : undefined,
    crdDirs,
  };
}

/** Ports that nothing listens on, all different (held open together while the kernel picks them). */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      ports.push(
        await new Promise<number>((done, fail) => {
          server.once("error", fail);
          server.listen(0, "127.0.0.1", () => {
            const address = server.address();
            done(typeof address === "object" && address ? address.port : 0);
          });
        }),
      );
    }
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
  }
}

export interface RunningProcess {
  name: string;
  pid: number;
  log: string;
}

export interface GitServer {
  /** sshd's loopback port. */
  port: number;
  /** The clone URL of a repository (created on first use by url() or push()). */
  url(repo: string): string;
  /** The server's host key as one known_hosts line, in the `[127.0.0.1]:<port>` form a port other than 22 needs. */
  knownHosts: string;
  /** The key pair registered with the server (OpenSSH formats; the private key unencrypted). */
  deployKey: { privateKey: string; publicKey: string; privateKeyPath: string };
  /** Registers one more public key (OpenSSH one-line form) with the server. */
  authorizeKey(publicKey: string): void;
  /** Makes the repository's `main` hold exactly the files of `sourceDir` as one new commit, pushed over SSH; returns its hash. */
  push(repo: string, sourceDir: string, message?: string): Promise<string>;
}

export interface KubectlOptions {
  /** Written to kubectl's stdin (for `apply -f -`). */
  input?: string;
  /** Seconds before kubectl is killed (default 60). */
  timeoutSeconds?: number;
}

export interface KubernetesCluster {
  /** The temp folder holding logs, PKI, data and repositories. */
  dir: string;
  /** A kubeconfig with cluster-admin (group system:masters) client certificates, as file paths. */
  kubeconfig: string;
  /** The API server's URL (https://127.0.0.1:<port>). */
  server: string;
  binaries: KubernetesBinaries;
  git: GitServer;
  /** Runs kubectl against the cluster; resolves to its stdout, rejects with its stderr. */
  kubectl(args: string[], options?: KubectlOptions): Promise<string>;
  /**
   * Waits until an object has a condition: `condition` is a condition type ("Ready"), or anything
   * `kubectl wait --for` takes ("delete", "jsonpath=..."). `ref` is "namespace/name", or "name" when
   * cluster-scoped. On timeout the error holds the object's status.
   */
  waitFor(kind: string, ref: string, condition: string, timeoutSeconds?: number): Promise<void>;
  /**
   * Starts the External Secrets controller (v0.16.2, built by `bash .ci/kubernetes.sh external-secrets`;
   * throws when it is not built). Only the ExternalSecret and (Cluster)SecretStore reconcilers run; a
   * ClusterSecretStore's 1Password Connect host may be a loopback stand-in (tests/lib/fakes/connect.ts).
   */
  startExternalSecrets(): Promise<RunningProcess>;
  /** The processes the cluster runs, in start order. */
  processes(): RunningProcess[];
  /** The resident memory of all of them together, in bytes. */
  memoryBytes(): number;
  /** Seconds from start() to all parts ready. */
  startSeconds: number;
  /** Stops every process (SIGTERM, then SIGKILL after 10 s) and removes the temp folder. Safe to call twice. */
  stop(): Promise<void>;
}

function tail(path: string, lines = 30): string {
  try {
    return readFileSync(path, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

async function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutSeconds?: number } = {},
): Promise<string> {
  return new Promise((done, fail) => {
    const child = execFile(
      command,
      args,
      { cwd: options.cwd, env: options.env ?? process.env, timeout: (options.timeoutSeconds ?? 60) * 1000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) fail(new Error(`${command} ${args.join(" ")} failed: ${String(stderr).trim() || error.message}`));
        else done(String(stdout));
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** GET a URL; resolves to the status code (0 when nothing answers). */
function probe(url: string, tls?: { ca: Buffer; cert: Buffer; key: Buffer }): Promise<number> {
  return new Promise((done) => {
    const request = (url.startsWith("https:") ? httpsRequest : httpRequest)(url, { timeout: 2000, ...(tls ?? {}) }, (response) => {
      response.resume();
      done(response.statusCode ?? 0);
    });
    request.on("error", () => done(0));
    request.on("timeout", () => request.destroy());
    request.end();
  });
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host: "127.0.0.1", port }, () => {
      socket.destroy();
      done(true);
    });
    socket.on("error", () => done(false));
  });
}

class Processes {
  readonly list: { name: string; child: ChildProcess; log: string }[] = [];

  constructor(private readonly logDir: string) {}

  start(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): { child: ChildProcess; log: string } {
    const log = join(this.logDir, `${name}.log`);
    const fd = openSync(log, "a");
    try {
      const child = spawn(command, args, { env, stdio: ["ignore", fd, fd] });
      child.on("error", () => undefined); // an exec failure shows as an early exit below
      this.list.push({ name, child, log });
      return { child, log };
    } finally {
      closeSync(fd);
    }
  }

  /** Waits for ready(); throws with the log's tail when the process exits first or the time is up. */
  async waitReady(name: string, child: ChildProcess, log: string, ready: () => Promise<boolean>, timeoutSeconds: number): Promise<void> {
    const deadline = Date.now() + timeoutSeconds * 1000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new ProcessExited(name, `${name} exited (${child.exitCode ?? child.signalCode}) before it was ready; ${log}:\n${tail(log)}`, tail(log, 200));
      }
      if (await ready()) return;
      if (Date.now() > deadline) throw new Error(`${name} was not ready after ${timeoutSeconds} s; ${log}:\n${tail(log)}`);
      await sleep(200);
    }
  }

  /**
   * SIGTERM the API server's clients, then the API server, then etcd (an API server whose etcd is gone first
   * does not finish its shutdown and needed the SIGKILL); SIGKILL what is left of a stage after `graceSeconds`.
   */
  async stopAll(graceSeconds = 10): Promise<void> {
    const stage = (names: string[] | undefined) => this.list.filter(({ name }) => (names ? names.includes(name) : !["kube-apiserver", "etcd"].includes(name)));
    for (const names of [undefined, ["kube-apiserver"], ["etcd"]]) await this.stopSome(stage(names), graceSeconds);
  }

  private async stopSome(list: { child: ChildProcess }[], graceSeconds: number): Promise<void> {
    const running = list.filter(({ child }) => child.pid !== undefined && child.exitCode === null && child.signalCode === null);
    const exited = running.map(
      ({ child }) => new Promise<void>((done) => (child.exitCode !== null || child.signalCode !== null ? done() : child.once("exit", () => done()))),
    );
    for (const { child } of running) child.kill("SIGTERM");
    const timer = new Promise<"timeout">((done) => setTimeout(() => done("timeout"), graceSeconds * 1000).unref());
    if ((await Promise.race([Promise.all(exited), timer])) === "timeout") {
      for (const { child } of running) if (child.pid !== undefined && isAlive(child.pid)) child.kill("SIGKILL");
      await Promise.all(exited);
    }
  }

  killAllNow(): void {
    for (const { child } of this.list) if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}

class ProcessExited extends Error {
  constructor(
    readonly processName: string,
    message: string,
    readonly logTail: string,
  ) {
    super(message);
  }
}

/**
 * Starts a server on fresh ports; when it dies because a port was taken meanwhile (the ports are free when
 * picked, not reserved), picks new ones and tries again, up to three times.
 */
async function startOnFreePorts(portCount: number, start: (ports: number[]) => Promise<void>): Promise<number[]> {
  for (let attempt = 1; ; attempt++) {
    const ports = await freePorts(portCount);
    try {
      await start(ports);
      return ports;
    } catch (error) {
      const inUse = error instanceof ProcessExited && /address already in use|bind: address|Address already in use/i.test(error.logTail);
      if (!inUse || attempt === 3) throw error;
    }
  }
}

async function makePki(
  dir: string,
): Promise<{ ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string; saKey: string; saPub: string }> {
  mkdirSync(dir, { mode: 0o700 });
  const f = (name: string) => join(dir, name);
  const openssl = (args: string[]) => run("openssl", args, { cwd: dir });
  // A new unencrypted P-256 key with each request: `req <this> -keyout KEY -out OUT -subj SUBJECT`.
  const newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await openssl(["req", "-x509", ...newKey, "-keyout", f("ca.key"), "-out", f("ca.crt"), "-days", "2", "-subj", "/CN=data-platform-test-ca"]);
  const sign = async (name: string, subject: string, extensions: string) => {
    writeFileSync(f(`${name}.ext`), extensions);
    await openssl(["req", ...newKey, "-keyout", f(`${name}.key`), "-out", f(`${name}.csr`), "-subj", subject]);
    await openssl([
      "x509",
      "-req",
      "-in",
      f(`${name}.csr`),
      "-CA",
      f("ca.crt"),
      "-CAkey",
      f("ca.key"),
      "-CAcreateserial",
      "-out",
      f(`${name}.crt`),
      "-days",
      "2",
      "-extfile",
      f(`${name}.ext`),
    ]);
  };
  const altNames = [
    "IP:127.0.0.1",
    "IP:10.96.0.1",
    "DNS:localhost",
    "DNS:kubernetes",
    "DNS:kubernetes.default",
    "DNS:kubernetes.default.svc",
    "DNS:kubernetes.default.svc.cluster.local",
  ];
  await sign("apiserver", "/CN=kube-apiserver", `subjectAltName=${altNames.join(",")}\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature\n`);
  await sign("admin", "/O=system:masters/CN=data-platform-test-admin", "extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature\n");
  // Service-account tokens: RSA, as the API server's issuer expects by default.
  await openssl(["genrsa", "-out", f("sa.key"), "2048"]);
  await openssl(["rsa", "-in", f("sa.key"), "-pubout", "-out", f("sa.pub")]);
  return {
    ca: f("ca.crt"),
    serverCert: f("apiserver.crt"),
    serverKey: f("apiserver.key"),
    clientCert: f("admin.crt"),
    clientKey: f("admin.key"),
    saKey: f("sa.key"),
    saPub: f("sa.pub"),
  };
}

function kubeconfigYaml(server: string, pki: { ca: string; clientCert: string; clientKey: string }): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: test",
    "  cluster:",
    `    server: ${server}`,
    `    certificate-authority: ${pki.ca}`,
    "users:",
    "- name: admin",
    "  user:",
    `    client-certificate: ${pki.clientCert}`,
    `    client-key: ${pki.clientKey}`,
    "contexts:",
    "- name: test",
    "  context:",
    "    cluster: test",
    "    user: admin",
    "current-context: test",
    "",
  ].join("\n");
}

function gitUserIds(): { uid: number; gid: number } {
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((entry) => entry.startsWith(`${GIT_USER}:`));
  if (!line) throw new Error(`no user ${GIT_USER} (tests/integration/kubernetes/git-user.sh makes it)`);
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

async function startGitServer(dir: string, processes: Processes): Promise<GitServer> {
  if (process.getuid?.() !== 0) throw new Error("the test Git server needs root (sshd logs in as the git user)");
  await run("bash", [join(__dirname, "git-user.sh")]);
  const { uid, gid } = gitUserIds();
  const sshDir = join(dir, "ssh"); // readable by the git user: sshd reads authorized_keys as that user
  const clientDir = join(dir, "client");
  const reposDir = join(dir, "git");
  mkdirSync(sshDir, { mode: 0o755 });
  mkdirSync(clientDir, { mode: 0o700 });
  mkdirSync(reposDir, { mode: 0o755 });
  chownSync(reposDir, uid, gid);
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 }); // sshd's privilege separation folder
  const hostKey = join(sshDir, "ssh_host_ed25519_key");
  const deployKeyPath = join(clientDir, "deploy_key");
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "test-git-server", "-f", hostKey]);
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "flux-deploy-key", "-f", deployKeyPath]);
  const authorizedKeys = join(sshDir, "authorized_keys");
  const deployKey = {
    privateKey: readFileSync(deployKeyPath, "utf8"),
    publicKey: readFileSync(`${deployKeyPath}.pub`, "utf8").trim(),
    privateKeyPath: deployKeyPath,
  };
  writeFileSync(authorizedKeys, `${deployKey.publicKey}\n`, { mode: 0o644 });
  const config = join(sshDir, "sshd_config");
  const [port] = await startOnFreePorts(1, async ([sshPort]) => {
    writeFileSync(
      config,
      [
        `Port ${sshPort}`,
        "ListenAddress 127.0.0.1",
        `HostKey ${hostKey}`,
        `PidFile ${join(sshDir, "sshd.pid")}`,
        `AuthorizedKeysFile ${authorizedKeys}`,
        // The temp folder is under /tmp (world-writable), which StrictModes refuses for authorized_keys.
        "StrictModes no",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        `AllowUsers ${GIT_USER}`,
        "PermitRootLogin no",
        "AllowTcpForwarding no",
        "X11Forwarding no",
        "PrintMotd no",
        "LogLevel VERBOSE",
        "",
      ].join("\n"),
    );
    const { child, log } = processes.start("sshd", "/usr/sbin/sshd", ["-D", "-e", "-f", config]);
    await processes.waitReady("sshd", child, log, () => tcpOpen(sshPort), 15);
  });
  const knownHosts = `[127.0.0.1]:${port} ${readFileSync(`${hostKey}.pub`, "utf8").trim().split(" ").slice(0, 2).join(" ")}`;
  const knownHostsFile = join(clientDir, "known_hosts");
  writeFileSync(knownHostsFile, `${knownHosts}\n`);
  const repoPath = (repo: string) => {
    if (!/^[a-z0-9][a-z0-9._-]*$/.test(repo)) throw new Error(`repository name ${JSON.stringify(repo)}: lowercase letters, digits, . _ - only`);
    return join(reposDir, `${repo}.git`);
  };
  const ensureRepo = (repo: string) => {
    const path = repoPath(repo);
    if (existsSync(path)) return;
    execFileSync("git", ["init", "-q", "--bare", `--initial-branch=${GIT_BRANCH}`, path]);
    execFileSync("chown", ["-R", `${uid}:${gid}`, path]);
  };
  // The path is absolute on the server: git-shell runs `git-upload-pack '<path>'` as the URL gives it.
  const url = (repo: string) => `ssh://${GIT_USER}@127.0.0.1:${port}${repoPath(repo)}`;
  const gitEnv = {
    ...process.env,
    GIT_SSH_COMMAND: `ssh -i ${deployKeyPath} -o IdentitiesOnly=yes -o UserKnownHostsFile=${knownHostsFile} -o StrictHostKeyChecking=yes -o BatchMode=yes`,
    GIT_AUTHOR_NAME: "data-platform test",
    GIT_AUTHOR_EMAIL: "test@example.invalid",
    GIT_COMMITTER_NAME: "data-platform test",
    GIT_COMMITTER_EMAIL: "test@example.invalid",
  };
  return {
    port,
    url: (repo) => {
      ensureRepo(repo);
      return url(repo);
    },
    knownHosts,
    deployKey,
    authorizeKey: (publicKey) => writeFileSync(authorizedKeys, `${publicKey.trim()}\n`, { flag: "a" }),
    push: async (repo, sourceDir, message = "test commit") => {
      ensureRepo(repo);
      const work = join(clientDir, "work", repo);
      if (!existsSync(work)) {
        mkdirSync(work, { recursive: true });
        await run("git", ["init", "-q", `--initial-branch=${GIT_BRANCH}`], { cwd: work });
      }
      for (const entry of readdirSync(work)) if (entry !== ".git") rmSync(join(work, entry), { recursive: true, force: true });
      cpSync(sourceDir, work, { recursive: true });
      await run("git", ["add", "-A"], { cwd: work });
      await run("git", ["commit", "-q", "--allow-empty", "-m", message], { cwd: work, env: gitEnv });
      await run("git", ["push", "-q", "--force", url(repo), `HEAD:${GIT_BRANCH}`], { cwd: work, env: gitEnv, timeoutSeconds: 30 });
      return (await run("git", ["rev-parse", "HEAD"], { cwd: work })).trim();
    },
  };
}

function rssBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Starts everything in a fresh temp folder; throws (after stopping what it started) if a part does not come up. */
export async function startKubernetesCluster(): Promise<KubernetesCluster> {
  const binaries = findKubernetesBinaries();
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), "kube-cluster-"));
  chmodSync(dir, 0o711); // the git user reaches its repositories and authorized_keys below; the rest stays 0700
  const logDir = join(dir, "logs");
  mkdirSync(logDir, { mode: 0o700 });
  const processes = new Processes(logDir);
  const killOnExit = () => processes.killAllNow();
  process.once("exit", killOnExit);
  let stopped = false;
  const stopAndClean = async (keep: boolean) => {
    if (stopped) return;
    stopped = true;
    await processes.stopAll();
    process.removeListener("exit", killOnExit);
    if (keep) console.log(`kept ${dir} (logs in ${logDir})`);
    else rmSync(dir, { recursive: true, force: true });
  };
  const stop = () => stopAndClean(process.env.KUBERNETES_TEST_KEEP === "1");
  try {
    const pki = await makePki(join(dir, "pki"));
    const tls = { ca: readFileSync(pki.ca), cert: readFileSync(pki.clientCert), key: readFileSync(pki.clientKey) };

    const etcdDir = join(dir, "etcd");
    const [etcdPort] = await startOnFreePorts(2, async ([client, peer]) => {
      rmSync(etcdDir, { recursive: true, force: true });
      const { child, log } = processes.start("etcd", "etcd", [
        "--name=test",
        `--data-dir=${etcdDir}`,
        `--listen-client-urls=http://127.0.0.1:${client}`,
        `--advertise-client-urls=http://127.0.0.1:${client}`,
        `--listen-peer-urls=http://127.0.0.1:${peer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
        `--initial-cluster=test=http://127.0.0.1:${peer}`,
        "--unsafe-no-fsync", // a throwaway store: no fsync wait on a shared disk
        "--logger=zap",
        "--log-level=warn",
      ]);
      await processes.waitReady("etcd", child, log, async () => (await probe(`http://127.0.0.1:${client}/health`)) === 200, 30);
    });

    let server = "";
    await startOnFreePorts(1, async ([apiPort]) => {
      server = `https://127.0.0.1:${apiPort}`;
      const { child, log } = processes.start("kube-apiserver", binaries.kubeApiserver, [
        `--etcd-servers=http://127.0.0.1:${etcdPort}`,
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        `--secure-port=${apiPort}`,
        `--cert-dir=${join(dir, "pki")}`,
        `--tls-cert-file=${pki.serverCert}`,
        `--tls-private-key-file=${pki.serverKey}`,
        `--client-ca-file=${pki.ca}`,
        `--service-account-key-file=${pki.saPub}`,
        `--service-account-signing-key-file=${pki.saKey}`,
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        "--authorization-mode=RBAC",
        "--service-cluster-ip-range=10.96.0.0/16",
        "--endpoint-reconciler-type=none", // no kubelet: nothing would keep the kubernetes Service's endpoints
        "--profiling=false",
      ]);
      await processes.waitReady("kube-apiserver", child, log, async () => (await probe(`${server}/readyz`, tls)) === 200, 90);
    });
    const kubeconfig = join(dir, "kubeconfig");
    writeFileSync(kubeconfig, kubeconfigYaml(server, pki), { mode: 0o600 });
    const kubectl = (args: string[], options: KubectlOptions = {}) =>
      run("kubectl", ["--kubeconfig", kubeconfig, ...args], { input: options.input, timeoutSeconds: options.timeoutSeconds });

    // Only what the tests need of the controller-manager: foreground deletes and Namespace deletes finish.
    const kcm = processes.start("kube-controller-manager", binaries.kubeControllerManager, [
      `--kubeconfig=${kubeconfig}`,
      "--controllers=garbage-collector-controller,namespace-controller",
      "--leader-elect=false",
      "--secure-port=0",
      "--use-service-account-credentials=false",
    ]);

    // CRDs: Flux's from the controllers' own modules (matching the binaries), External Secrets' from the
    // schema copies the manifest tests use (or the controller's own when it is built).
    const crdFolders = [
      binaries.crdDirs["source-controller"],
      binaries.crdDirs["kustomize-controller"],
      binaries.crdDirs["external-secrets"] ?? join(projectRoot, "tests/schemas/external-secrets"),
    ];
    for (const folder of crdFolders) await kubectl(["apply", "--server-side", "-f", folder], { timeoutSeconds: 120 });
    await kubectl(["wait", "--for=condition=Established", "crd", "--all", "--timeout=60s"], { timeoutSeconds: 90 });
    await kubectl(["create", "namespace", FLUX_NAMESPACE]);

    const git = await startGitServer(dir, processes);

    const controllerEnv = { ...process.env, KUBECONFIG: kubeconfig, RUNTIME_NAMESPACE: FLUX_NAMESPACE };
    const startController = async (name: string, binary: string, extraPorts: number, args: (ports: number[]) => string[]) =>
      startOnFreePorts(2 + extraPorts, async (ports) => {
        const [metrics, health] = ports;
        const { child, log } = processes.start(
          name,
          binary,
          [
            "--enable-leader-election=false",
            "--events-addr=",
            `--metrics-addr=127.0.0.1:${metrics}`,
            `--health-addr=127.0.0.1:${health}`,
            "--log-level=info",
            ...args(ports.slice(2)),
          ],
          controllerEnv,
        );
        await processes.waitReady(name, child, log, async () => (await probe(`http://127.0.0.1:${health}/readyz`)) === 200, 60);
      });
    const storage = join(dir, "source-storage");
    mkdirSync(storage, { mode: 0o700 });
    await startController("source-controller", binaries.sourceController, 1, ([storagePort]) => [
      `--storage-path=${storage}`,
      `--storage-addr=127.0.0.1:${storagePort}`,
      `--storage-adv-addr=127.0.0.1:${storagePort}`,
    ]);
    await startController("kustomize-controller", binaries.kustomizeController, 0, () => [`--requeue-dependency=${REQUEUE_DEPENDENCY}`]);
    if (kcm.child.exitCode !== null || kcm.child.signalCode !== null) throw new Error(`kube-controller-manager exited; ${kcm.log}:\n${tail(kcm.log)}`);

    const waitFor = async (kind: string, ref: string, condition: string, timeoutSeconds = 60) => {
      const [namespace, name] = ref.includes("/") ? ref.split("/", 2) : [undefined, ref];
      const where = namespace ? ["-n", namespace] : [];
      const forArg = condition === "delete" || condition.includes("=") ? condition : `condition=${condition}`;
      try {
        await kubectl(["wait", ...where, `${kind}/${name}`, `--for=${forArg}`, `--timeout=${timeoutSeconds}s`], { timeoutSeconds: timeoutSeconds + 30 });
      } catch (error) {
        const status = await kubectl(["get", ...where, kind, name, "-o", "jsonpath={.status}"]).catch((getError: Error) => getError.message);
        throw new Error(`${kind} ${ref} did not reach ${forArg} in ${timeoutSeconds} s: ${(error as Error).message}\nstatus: ${status}`);
      }
    };

    let externalSecrets: RunningProcess | undefined;
    const startExternalSecrets = async (): Promise<RunningProcess> => {
      if (externalSecrets) return externalSecrets;
      const binary = binaries.externalSecrets;
      if (!binary) throw new Error(`the External Secrets controller is not built: run \`bash .ci/kubernetes.sh external-secrets\``);
      await startOnFreePorts(1, async ([metrics]) => {
        const { child, log } = processes.start(
          "external-secrets",
          binary,
          [
            `--metrics-addr=127.0.0.1:${metrics}`,
            "--enable-leader-election=false",
            "--enable-cluster-external-secret-reconciler=false",
            "--enable-push-secret-reconciler=false",
            "--enable-cluster-push-secret-reconciler=false",
            "--store-requeue-interval=10s",
            "--loglevel=info",
          ],
          controllerEnv,
        );
        // No health endpoint: the metrics server answering means the manager started.
        await processes.waitReady("external-secrets", child, log, async () => (await probe(`http://127.0.0.1:${metrics}/metrics`)) === 200, 60);
        externalSecrets = { name: "external-secrets", pid: child.pid ?? 0, log };
      });
      if (!externalSecrets) throw new Error("the External Secrets controller did not start");
      return externalSecrets;
    };

    const cluster: KubernetesCluster = {
      dir,
      kubeconfig,
      server,
      binaries,
      git,
      kubectl,
      waitFor,
      startExternalSecrets,
      processes: () => processes.list.map(({ name, child, log }) => ({ name, pid: child.pid ?? 0, log })),
      memoryBytes: () => processes.list.reduce((sum, { child }) => sum + (child.pid ? rssBytes(child.pid) : 0), 0),
      startSeconds: (Date.now() - started) / 1000,
      stop,
    };
    console.log(`Kubernetes test cluster ready in ${cluster.startSeconds.toFixed(1)} s at ${server} (${dir})`);
    return cluster;
  } catch (error) {
    await stopAndClean(true); // the logs explain the failure
    throw error;
  }
}

/**
 * One cluster for the calling test file: started in beforeAll, stopped in afterAll (also when tests fail).
 * The returned function gives the running cluster (and fails the test if it did not start).
 */
export function useKubernetesCluster(): () => KubernetesCluster {
  let cluster: KubernetesCluster | undefined;
  beforeAll(async () => {
    cluster = await startKubernetesCluster();
  }, 240_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);
  return () => {
    if (!cluster) throw new Error("the Kubernetes test cluster did not start");
    return cluster;
  };
}
