// Rules that span keys or list entries, which zod sees one at a time: references between lists,
// duplicates, renames, and settings that only make sense together.
import type { SecretKeyState } from "./parse";
import { formatPath } from "./keys";
import { BucketConfig, CredentialConfig, KustomizationConfig, ScalarConfig, show } from "./schema";

function findCycle(kustomizations: readonly KustomizationConfig[]): string[] | undefined {
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

function duplicates<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, number[]> {
  const seen = new Map<string, number[]>();
  items.forEach((item, index) => seen.set(keyOf(item), [...(seen.get(keyOf(item)) ?? []), index]));
  return new Map([...seen].filter(([, indexes]) => indexes.length > 1));
}

/** Cross-key rules zod cannot see one key at a time. */
export function crossChecks(
  c: Partial<ScalarConfig>,
  bucketEntries: (BucketConfig | undefined)[],
  credentialEntries: (CredentialConfig | undefined)[],
  kustomizationEntries: (KustomizationConfig | undefined)[],
  secrets: SecretKeyState,
  failed: ReadonlySet<string>,
): string[] {
  // Entries keep their config index; invalid ones (already reported) are skipped.
  const indexed = <T>(items: (T | undefined)[]) => items.flatMap((item, index) => (item === undefined ? [] : [{ item, index }]));
  const buckets = indexed(bucketEntries);
  const credentials = indexed(credentialEntries);
  const kustomizations = indexed(kustomizationEntries);
  const errors: string[] = [];
  // A reference is only judged when the list it points into parsed completely (no false "unknown" errors).
  const judge = (key: string) => !failed.has(key);
  const at = (path: PropertyKey[], message: string) => errors.push(`${formatPath(path)}: ${message}`);
  const appList = c.s3Apps ?? [];
  const apps = new Set(appList);
  const bucketKeys = new Set(buckets.map(({ item }) => item.key));

  for (const [name, indexes] of duplicates(appList, (a) => a)) at(["s3Apps", indexes[1]], `duplicate app ${show(name)}`);
  if (judge("s3Apps")) for (const app of Object.keys(c.s3KeyRotation ?? {})) if (!apps.has(app)) at(["s3KeyRotation", app], `unknown app ${show(app)} (not in s3Apps)`);

  const original = (list: { index: number }[], at: number[]) => at.map((i) => list[i].index);
  for (const [name, positions] of duplicates(buckets, ({ item }) => item.name)) {
    const [first, second] = original(buckets, positions);
    at(["buckets", second, "name"], `duplicate bucket name ${show(name)} (also buckets[${first}])`);
  }
  for (const [key, positions] of duplicates(buckets, ({ item }) => item.key)) {
    const [first, second] = original(buckets, positions);
    at(["buckets", second, "key"], `duplicate bucket key ${show(key)} (also buckets[${first}])`);
  }
  buckets.forEach(({ item: bucket, index: i }) => {
    for (const field of ["readWrite", "read"] as const) {
      bucket[field].forEach((app, j) => {
        if (judge("s3Apps") && !apps.has(app)) at(["buckets", i, field, j], `unknown app ${show(app)} (s3Apps is ${show(appList)})`);
      });
    }
    for (const app of bucket.read) if (bucket.readWrite.includes(app)) at(["buckets", i, "read"], `app ${show(app)} is listed in both read and readWrite`);
  });

  for (const [title, positions] of duplicates(credentials, ({ item }) => item.title)) {
    const [first, second] = original(credentials, positions);
    at(["credentials", second, "title"], `duplicate item title ${show(title)} (also credentials[${first}])`);
  }
  credentials.forEach(({ item: cred, index: i }) => {
    if (cred.app !== undefined && judge("s3Apps") && !apps.has(cred.app)) at(["credentials", i, "app"], `unknown app ${show(cred.app)} (not in s3Apps)`);
    if (cred.bucket !== undefined && judge("buckets") && !bucketKeys.has(cred.bucket)) {
      at(["credentials", i, "bucket"], `unknown bucket key ${show(cred.bucket)} (buckets are ${show([...bucketKeys])})`);
    }
  });

  const names = new Set(kustomizations.map(({ item }) => item.name));
  for (const [name, positions] of duplicates(kustomizations, ({ item }) => item.name)) {
    at(["fluxKustomizations", original(kustomizations, positions)[1], "name"], `duplicate Kustomization ${show(name)}`);
  }
  kustomizations.forEach(({ item: k, index: i }) =>
    k.dependsOn.forEach((dep, j) => {
      if (!names.has(dep)) {
        if (judge("fluxKustomizations")) at(["fluxKustomizations", i, "dependsOn", j], `unknown Kustomization ${show(dep)} (known: ${[...names].join(", ")})`);
      } else if (dep === k.name) at(["fluxKustomizations", i, "dependsOn", j], "a Kustomization cannot depend on itself");
    }),
  );
  const cycle = findCycle(kustomizations.map(({ item: k }) => ({ ...k, dependsOn: k.dependsOn.filter((d) => d !== k.name) })));
  if (cycle) at(["fluxKustomizations"], `dependsOn cycle ${cycle.join(" -> ")}`);

  // An old name may alias only one entry, and never a name in use: Pulumi rejects duplicate aliases.
  const renames = (list: "buckets" | "credentials", entries: { item: { name: string; previous: string[] }; index: number }[], field: string) => {
    const current = new Set(entries.map(({ item }) => item.name));
    const claimed = new Map<string, number>();
    for (const { item, index } of entries) {
      item.previous.forEach((old, j) => {
        if (current.has(old)) at([list, index, field, j], `${show(old)} is the name of a current entry`);
        else if (claimed.has(old)) at([list, index, field, j], `${show(old)} is also listed by ${list}[${claimed.get(old)}]`);
        else claimed.set(old, index);
      });
    }
  };
  renames("buckets", buckets.map(({ item, index }) => ({ item: { name: item.key, previous: item.previousKeys }, index })), "previousKeys");
  renames("credentials", credentials.map(({ item, index }) => ({ item: { name: item.title, previous: item.previousTitles }, index })), "previousTitles");

  if (c.onepasswordMode === "connect" && c.onepasswordConnectUrl === "" && judge("onepasswordConnectUrl")) at(["onepasswordConnectUrl"], "is required when onepasswordMode is connect");
  const gitScheme = c.fluxGitUrl?.startsWith("https://") ? "https" : "ssh";
  if (c.fluxGitUrl !== undefined && c.fluxGitAuth !== undefined && gitScheme !== c.fluxGitAuth) at(["fluxGitAuth"], `is ${c.fluxGitAuth} but fluxGitUrl is an ${gitScheme} URL`);
  if (c.fluxGitAuth === "ssh" && c.fluxKnownHosts?.trim() === "") at(["fluxKnownHosts"], "is required with ssh auth (the Git host's known_hosts line, e.g. from ssh-keyscan)");
  if (c.fluxGitAuth === "https" && !secrets.present.has("fluxGitToken")) at(["fluxGitToken"], "is required with https auth: pulumi config set --secret fluxGitToken ...");
  if (c.imageRegistryUsername && !secrets.present.has("imageRegistryPassword")) {
    at(["imageRegistryPassword"], "is required when imageRegistryUsername is set: pulumi config set --secret imageRegistryPassword ...");
  }
  return errors;
}
