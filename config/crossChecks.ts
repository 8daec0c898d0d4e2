// Rules that span keys or list entries, which zod sees one at a time: references between lists,
// duplicates, renames, names that collide once rendered, and settings that only make sense together.
// Invalid entries take part with the fields that did parse, so every problem is reported in one pass.
import { knownHostsProblems } from "../components/flux/knownHosts";
import { GIT_AUTH_SECRET, bucketVariable, itemVariable } from "../components/flux/manifests";
import { type ConfigKey, OPTIONAL_SECRET_NEEDS, PROJECT, type SecretKeyState, formatPath } from "./keys";
import { type Entry, type EntryRef, type ListKey, defaultHint } from "./lists";
import { didYouMean, show } from "./messages";
import { BucketConfig, CredentialConfig, KustomizationConfig, NAME_RE, ScalarConfig } from "./schema";

function findCycle(kustomizations: readonly { name: string; dependsOn: string[] }[]): string[] | undefined {
  const edges = new Map(kustomizations.map((k) => [k.name, k.dependsOn]));
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === "done") return undefined;
    if (state.get(name) === "visiting") return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, "visiting");
    stack.push(name);
    for (const next of edges.get(name) ?? []) {
      const cycle = edges.has(next) ? visit(next) : undefined;
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(name, "done");
    return undefined;
  };
  for (const k of kustomizations) {
    const cycle = visit(k.name);
    if (cycle) return cycle;
  }
  return undefined;
}

/** Entries whose field parsed, by that field's value (as keyed by `keyOf`), with their config index. */
function groups<T, K extends keyof T>(
  entries: readonly Entry<T>[],
  field: K,
  keyOf: (value: NonNullable<T[K]>) => string,
): Map<string, { index: EntryRef; value: NonNullable<T[K]> }[]> {
  const seen = new Map<string, { index: EntryRef; value: NonNullable<T[K]> }[]>();
  for (const entry of entries) {
    const value = entry.value[field];
    if (value === undefined || value === null) continue;
    const key = keyOf(value as NonNullable<T[K]>);
    seen.set(key, [...(seen.get(key) ?? []), { index: entry.index, value: value as NonNullable<T[K]> }]);
  }
  return seen;
}

export function crossChecks(
  c: Partial<ScalarConfig>,
  /** The keys of each map keyed by app (APP_KEYED_MAPS), as written. */
  appKeys: Readonly<Record<string, readonly string[]>>,
  buckets: readonly Entry<BucketConfig>[],
  credentials: readonly Entry<CredentialConfig>[],
  kustomizations: readonly Entry<KustomizationConfig>[],
  secrets: SecretKeyState,
  failed: ReadonlySet<string>,
): string[] {
  const errors: string[] = [];
  const lists: Record<ListKey, readonly Entry<unknown>[]> = { buckets, credentials, fluxKustomizations: kustomizations };
  // A message about a list entry says so when the value came from a default the stack file did not write.
  const at = (path: (PropertyKey | EntryRef)[], message: string) => {
    const [list, ref, field] = path;
    const entry = typeof list === "string" && list in lists && ref !== undefined ? lists[list as ListKey].find((e) => e.index === ref) : undefined;
    const hint = entry === undefined ? "" : defaultHint(list as ListKey, entry, field as PropertyKey | undefined);
    errors.push(`${formatPath(path)}: ${message}${hint}`);
  };
  const refText = (list: ListKey, ref: EntryRef) => formatPath([list, ref]).slice(`${PROJECT}:`.length);
  // A reference is only judged when every name it could point to is known (no false "unknown" errors).
  const appList = c.s3Apps ?? [];
  const appsKnown = c.s3Apps !== undefined;
  const apps = new Set(appList);
  const bucketKeys = buckets.flatMap(({ value }) => (value.key === undefined ? [] : [value.key]));
  const bucketKeysKnown = !failed.has("buckets") || buckets.every(({ value }) => value.key !== undefined);
  const unknownApp = (app: string) => `unknown app ${show(app)} (s3Apps is ${show(appList)})${didYouMean(app, appList)}`;

  appList.forEach((name, index) => {
    const first = appList.indexOf(name);
    if (first !== index) at(["s3Apps", index], `duplicate app ${show(name)} (also s3Apps[${first}])`);
  });
  (c.s3AppsRemoved ?? []).forEach((app, index) => {
    if (apps.has(app)) at(["s3AppsRemoved", index], `app ${show(app)} is also in s3Apps: remove it from one of them`);
  });
  for (const [map, keys] of Object.entries(appKeys)) {
    for (const key of keys) {
      if (appsKnown ? apps.has(key) : NAME_RE.test(key)) continue;
      at([map, key], appsKnown ? unknownApp(key) : `${show(key)} is not an app name`);
    }
  }

  // Duplicates, and names that differ but render the same (S3_BUCKET_A_B from a-b and a--b).
  const sameName = <T, K extends keyof T>(
    list: ListKey,
    entries: readonly Entry<T>[],
    field: K,
    what: string,
    keyOf: (value: NonNullable<T[K]>) => string,
    describe: (key: string) => string,
  ) => {
    for (const [key, found] of groups(entries, field, keyOf)) {
      for (const other of found.slice(1)) {
        const first = found[0];
        const message =
          show(other.value) === show(first.value)
            ? `duplicate ${what} ${show(other.value)} (also ${refText(list, first.index)})`
            : `${show(other.value)} and ${refText(list, first.index)}.${String(field)} ${show(first.value)} ${describe(key)}`;
        at([list, other.index, field as string], message);
      }
    }
  };
  const same = (v: unknown) => String(v);
  sameName("buckets", buckets, "name", "bucket name", same, () => "");
  sameName("buckets", buckets, "key", "bucket key", same, () => "");
  // Two entries whose names differ only in case or punctuation publish one Flux variable.
  const sameVariable = (variable: string) => `both become the Flux variable ${variable}: rename one`;
  sameName("buckets", buckets, "key", "bucket key", (k) => bucketVariable(String(k)), sameVariable);
  sameName("credentials", credentials, "title", "item title", same, () => "");
  sameName("credentials", credentials, "title", "item title", (t) => itemVariable(String(t)), sameVariable);
  sameName("fluxKustomizations", kustomizations, "name", "Kustomization", same, () => "");

  for (const { value: bucket, index: i } of buckets) {
    for (const field of ["readWrite", "read"] as const) {
      bucket[field]?.forEach((app, j) => {
        if (appsKnown && !apps.has(app)) at(["buckets", i, field, j], unknownApp(app));
      });
    }
    for (const app of bucket.read ?? [])
      if (bucket.readWrite?.includes(app)) at(["buckets", i, "read"], `app ${show(app)} is listed in both read and readWrite`);
  }

  // Which buckets each app may read (readWrite or read), once every grant list parsed.
  const grantsKnown = bucketKeysKnown && buckets.every(({ valid, value }) => valid || (value.readWrite !== undefined && value.read !== undefined));
  const granted = (app: string) =>
    buckets.flatMap(({ value: b }) => (b.key !== undefined && [...(b.readWrite ?? []), ...(b.read ?? [])].includes(app) ? [b.key] : []));
  if (appsKnown && grantsKnown && bucketKeys.length > 0) {
    appList.forEach((app, index) => {
      if (granted(app).length > 0) return;
      at(
        ["s3Apps", index],
        `app ${show(app)} has no grant on any bucket, so its S3 keys could read nothing: add it to a bucket's readWrite or read (e.g. {key: ${bucketKeys[0]}, read: [..., ${app}]} in data-platform:buckets), or remove the app`,
      );
    });
  }

  for (const { value: cred, index: i } of credentials) {
    if (cred.app !== undefined && appsKnown && !apps.has(cred.app)) at(["credentials", i, "app"], unknownApp(cred.app));
    if (cred.bucket !== undefined && bucketKeysKnown && !bucketKeys.includes(cred.bucket)) {
      at(["credentials", i, "bucket"], `unknown bucket key ${show(cred.bucket)} (buckets are ${show(bucketKeys)})${didYouMean(cred.bucket, bucketKeys)}`);
    } else if (cred.bucket !== undefined && cred.app !== undefined && apps.has(cred.app) && grantsKnown && !granted(cred.app).includes(cred.bucket)) {
      const readable = granted(cred.app);
      const fix = readable.length > 0 ? `point the item at a bucket it can read (${readable.join(", ")}) or grant it` : "grant it";
      at(
        ["credentials", i, "bucket"],
        `app ${show(cred.app)} cannot read bucket ${show(cred.bucket)} (no readWrite or read grant there): ${fix} in data-platform:buckets`,
      );
    }
  }
  // Every app's RGW keys must reach 1Password, or they are keys no one can use or rotate knowingly.
  const credentialsKnown = credentials.every(({ value }) => value.kind !== undefined && (value.kind !== "s3" || value.app !== undefined));
  if (appsKnown && credentialsKnown) {
    const held = new Set(credentials.flatMap(({ value }) => (value.kind === "s3" && value.app !== undefined ? [value.app] : [])));
    appList.forEach((app, index) => {
      if (held.has(app)) return;
      const bucket = granted(app)[0] ?? bucketKeys[0] ?? "<bucket key>";
      at(
        ["s3Apps", index],
        `app ${show(app)} gets S3 keys, but no s3 credential puts them in 1Password: add {title: ${app}-s3-credentials, kind: s3, app: ${app}, bucket: ${bucket}} to data-platform:credentials, or remove the app`,
      );
    });
  }

  const names = kustomizations.flatMap(({ value }) => (value.name === undefined ? [] : [value.name]));
  const namesKnown = kustomizations.every(({ value }) => value.name !== undefined);
  for (const { value: k, index: i } of kustomizations) {
    k.dependsOn?.forEach((dep, j) => {
      if (dep === k.name) at(["fluxKustomizations", i, "dependsOn", j], "a Kustomization cannot depend on itself");
      else if (namesKnown && !names.includes(dep))
        at(["fluxKustomizations", i, "dependsOn", j], `unknown Kustomization ${show(dep)} (known: ${names.join(", ")})${didYouMean(dep, names)}`);
    });
  }
  const graph = kustomizations.flatMap(({ value: k }) =>
    k.name === undefined ? [] : [{ name: k.name, dependsOn: (k.dependsOn ?? []).filter((d) => d !== k.name) }],
  );
  const cycle = findCycle(graph);
  if (cycle) at(["fluxKustomizations"], `dependsOn cycle ${cycle.join(" -> ")}`);

  // An old name may alias only one entry, and never a name in use: Pulumi rejects duplicate aliases.
  const renames = (list: "buckets" | "credentials", entries: { name?: string; previous?: string[]; index: EntryRef }[], field: string) => {
    const current = new Set(entries.flatMap(({ name }) => (name === undefined ? [] : [name])));
    const claimed = new Map<string, EntryRef>();
    for (const { previous, index } of entries) {
      previous?.forEach((old, j) => {
        if (current.has(old)) at([list, index, field, j], `${show(old)} is the name of a current entry`);
        else if (claimed.has(old)) at([list, index, field, j], `${show(old)} is also listed by ${refText(list, claimed.get(old) as EntryRef)}`);
        else claimed.set(old, index);
      });
    }
  };
  renames(
    "buckets",
    buckets.map(({ value, index }) => ({ name: value.key, previous: value.previousKeys, index })),
    "previousKeys",
  );
  renames(
    "credentials",
    credentials.map(({ value, index }) => ({ name: value.title, previous: value.previousTitles, index })),
    "previousTitles",
  );

  // Two owners must not write one Secret: the bootstrap token Secret, Flux's Git auth Secret and the
  // Secrets the ExternalSecrets create (named after their item titles, in the workload namespace).
  const collision = (name: string, owner: string) =>
    `${show(name)} is also the name of ${owner} in the same namespace: two owners would write one Secret; choose another name`;
  const tokenSecret = c.onepasswordTokenSecretName;
  if (tokenSecret === GIT_AUTH_SECRET && c.externalSecretsNamespace !== undefined && c.externalSecretsNamespace === c.fluxNamespace) {
    at(["onepasswordTokenSecretName"], collision(tokenSecret, `Flux's Git auth Secret (externalSecretsNamespace = fluxNamespace = ${show(c.fluxNamespace)})`));
  }
  for (const {
    value: { title },
    index,
  } of credentials) {
    if (title === undefined || c.dataPlatformNamespace === undefined) continue;
    if (title === tokenSecret && c.dataPlatformNamespace === c.externalSecretsNamespace) {
      at(
        ["credentials", index, "title"],
        collision(
          title,
          `the 1Password bootstrap token Secret (onepasswordTokenSecretName; dataPlatformNamespace = externalSecretsNamespace = ${show(c.dataPlatformNamespace)})`,
        ),
      );
    }
    if (title === GIT_AUTH_SECRET && c.dataPlatformNamespace === c.fluxNamespace) {
      at(
        ["credentials", index, "title"],
        collision(title, `Flux's Git auth Secret (dataPlatformNamespace = fluxNamespace = ${show(c.dataPlatformNamespace)})`),
      );
    }
  }

  if (c.onepasswordMode === "connect" && c.onepasswordConnectUrl === "") at(["onepasswordConnectUrl"], "is required when onepasswordMode is connect");
  const gitScheme = c.fluxGitUrl?.startsWith("https://") ? "https" : "ssh";
  if (c.fluxGitUrl !== undefined && c.fluxGitAuth !== undefined && gitScheme !== c.fluxGitAuth)
    at(["fluxGitAuth"], `is ${c.fluxGitAuth} but fluxGitUrl is an ${gitScheme} URL`);
  if (c.fluxGitAuth === "ssh" && c.fluxKnownHosts?.trim() === "")
    at(["fluxKnownHosts"], "is required with ssh auth (the Git host's known_hosts line, e.g. from ssh-keyscan)");
  // Checked as source-controller reads it: a bad line otherwise surfaces only as the GitRepository's
  // opaque "knownhosts: key is unknown" after the whole stack was applied.
  else if (c.fluxGitAuth === "ssh" && c.fluxKnownHosts !== undefined) {
    for (const problem of knownHostsProblems(c.fluxKnownHosts, failed.has("fluxGitUrl") ? undefined : c.fluxGitUrl)) at(["fluxKnownHosts"], problem);
  }
  const value = (key: ConfigKey) => String((c as Record<string, unknown>)[key] ?? "");
  for (const [key, need] of Object.entries(OPTIONAL_SECRET_NEEDS)) {
    if (need.needed(value) && !secrets.present.has(key)) at([key], `is required ${need.when}: pulumi config set --secret ${key} ...`);
  }
  return errors;
}
