// `npm run adopt -- plan`: what the first `up` would do to a running, hand-built platform, from what verify's
// clients read (RGW admin API and S3, 1Password Connect, Kubernetes), one line per thing, and the `adopt`
// block to paste. Pure: the observations come in (./observe.ts reads them), the lines and the block go out.
import type { LifecycleRule } from "@aws-sdk/client-s3";
import type { PlatformConfig } from "../config";
import { GIT_REPOSITORY_TYPE, KUSTOMIZATION_TYPE } from "../components/flux/manifests";
import { rgwUserId } from "../components/objectStorage/policies";
import { maskKey } from "../verify/checks";
import { differences } from "../verify/diff";
import { type ExpectedBucket, expectedOnePassword, expectedPolicy, expectedRgw } from "../verify/expected";
import { FLUX_OWNER_LABELS, type KubeObject, expectedFluxSpecs, specDifferences } from "../verify/kubernetes";
import type { ConnectItem, ConnectItemSummary } from "../verify/onepassword";
import { lifecycleView, policyView } from "../verify/rgw";
import { type AdoptConfig, type KeptField, KUBERNETES_TYPES, emittedKubernetesObjects } from "../config";

export type Verdict = "ADOPT" | "CHANGE" | "CREATE" | "REFUSE";

export interface PlanLine {
  verdict: Verdict;
  /** What it is, as the stack keys it: `bucket warehouse`, `rgw user nessie`, `item nessie-postgres`, ... */
  subject: string;
  text: string;
  /** REFUSE only: what to do about it. */
  fix?: string;
}

// ---------------------------------------------------------------------------------------------
// What was read.

export interface ObservedPlanBucket {
  owner: string;
  /** The stack's S3 keys (rgwAdminAccessKey) are the owner's: the stack can make every S3 call on it. */
  ownerIsStack: boolean;
  objects: number;
  sizeBytes: number;
  /** GetBucketVersioning Status; undefined when never configured. Absent fields: not readable (not the owner). */
  versioning?: string;
  lifecycle?: LifecycleRule[];
  /** undefined: no policy. */
  policy?: string;
}

export interface ObservedPlanUser {
  suspended: boolean;
  accessKeys: string[];
}

export interface ObservedRgwForPlan {
  /** The uid owning the stack's S3 keys, when found. */
  stackUid?: string;
  /** By bucket name; undefined: no such bucket. */
  buckets: Record<string, ObservedPlanBucket | undefined>;
  /** By uid; undefined: no such user. */
  users: Record<string, ObservedPlanUser | undefined>;
}

export interface ObservedOnePasswordForPlan {
  vault?: { id: string; name: string };
  /** The vault names the token sees (for the message when the vault is missing). */
  vaults: string[];
  /** By title: every item with that title, and the full item when there is exactly one. */
  items: Record<string, { summaries: ConnectItemSummary[]; item?: ConnectItem }>;
}

export interface ObservedKubernetesForPlan {
  /** By `Kind/namespace/name` (or `Kind/name`); undefined: not in the cluster. */
  objects: Record<string, KubeObject | undefined>;
  /** Flux's CRDs are served (Flux is installed). */
  fluxInstalled: boolean;
}

export interface PlanInput {
  config: PlatformConfig;
  /** The stack's current adopt block (empty when it has none). */
  adopt: AdoptConfig;
  rgw?: ObservedRgwForPlan;
  onepassword?: ObservedOnePasswordForPlan;
  kubernetes?: ObservedKubernetesForPlan;
}

export interface Plan {
  lines: PlanLine[];
  /** The adopt block for what was found (REFUSE lines aside, which need a fix first). */
  adopt: AdoptConfig;
}

// ---------------------------------------------------------------------------------------------
// The objects the stack emits (Kind/namespace/name) that may already exist.

export interface EmittedObject {
  ref: string;
  kind: string;
  apiVersion: string;
  namespace?: string;
  name: string;
}

/** The objects the stack emits (config's list), with the apiVersion their kind has. */
export function emittedObjects(config: PlatformConfig): EmittedObject[] {
  const refs = emittedKubernetesObjects({
    externalSecretsNamespace: config.kubernetes.externalSecretsNamespace,
    tokenSecretName: config.onepassword.tokenSecretName,
    fluxNamespace: config.flux.namespace,
    kustomizations: config.flux.kustomizations.map((k) => k.name),
  });
  return refs.map((ref) => {
    const parts = ref.split("/");
    const [kind, namespace, name] = parts.length === 2 ? [parts[0], undefined, parts[1]] : [parts[0], parts[1], parts[2]];
    // Type tokens are kubernetes:<group>/<version>:<Kind>, the core group written "core".
    const apiVersion = (KUBERNETES_TYPES[kind] ?? "").split(":")[1].replace(/^core\//, "");
    return { ref, kind, apiVersion, ...(namespace !== undefined && { namespace }), name };
  });
}

// ---------------------------------------------------------------------------------------------

const bytes = (n: number): string =>
  n < 1024
    ? `${n} B`
    : n < 1024 ** 2
      ? `${(n / 1024).toFixed(1)} KiB`
      : n < 1024 ** 3
        ? `${(n / 1024 ** 2).toFixed(1)} MiB`
        : `${(n / 1024 ** 3).toFixed(1)} GiB`;

function describeRule(rule: { id: string; noncurrentDays?: number; abortIncompleteMultipartDays?: number }): string {
  const days =
    rule.noncurrentDays !== undefined
      ? ` ${rule.noncurrentDays}d`
      : rule.abortIncompleteMultipartDays !== undefined
        ? ` ${rule.abortIncompleteMultipartDays}d`
        : "";
  return `${rule.id}${days}`;
}

function bucketLines(
  key: string,
  expected: ExpectedBucket,
  observed: ObservedPlanBucket | undefined,
  entry: AdoptConfig["buckets"][string] | undefined,
  stackUid: string | undefined,
  out: Plan,
): PlanLine[] {
  const subject = `bucket ${key}`;
  if (observed === undefined) {
    if (entry)
      return [
        {
          verdict: "REFUSE",
          subject,
          text: `${expected.name} does not exist, but adopt.buckets.${key} names it (the import would fail)`,
          fix: `remove adopt.buckets.${key}: the stack creates the bucket`,
        },
      ];
    return [{ verdict: "CREATE", subject, text: `${expected.name} (does not exist)` }];
  }
  const lines: PlanLine[] = [];
  if (!observed.ownerIsStack) {
    return [
      {
        verdict: "REFUSE",
        subject,
        text: `${expected.name} is owned by RGW user ${observed.owner}, not by the stack's S3 identity${stackUid ? ` (${stackUid})` : ""}: every S3 call of the stack on it would be refused (403), even with admin caps`,
        fix: `make the owner's keys the stack's (pulumi config set --secret rgwAdminAccessKey/rgwAdminSecretKey to a key of ${observed.owner}; radosgw-admin caps add --uid=${observed.owner} --caps='users=*;buckets=*'), see docs/adoption.md "Bucket ownership"`,
      },
    ];
  }
  lines.push({
    verdict: "ADOPT",
    subject,
    text: `${expected.name}: owner ${observed.owner}, ${observed.objects} objects (${bytes(observed.sizeBytes)}), import id ${expected.name}; nothing in it is changed`,
  });
  const versioning = observed.versioning ?? "Disabled";
  if (versioning !== expected.versioning)
    lines.push({
      verdict: "CHANGE",
      subject,
      text: `versioning ${versioning} -> ${expected.versioning}${expected.versioning === "Enabled" ? " (no object removed: existing objects become the null version)" : ""}`,
    });

  const declaredIds = expected.lifecycle.map((r) => r.id);
  const found = lifecycleView(observed.lifecycle ?? [], declaredIds);
  const foreign = found.filter((r) => !declaredIds.includes(r.id));
  const added = expected.lifecycle.filter((rule) => {
    const live = found.find((r) => r.id === rule.id);
    return live === undefined || differences(rule, live, "rule").length > 0;
  });
  if (added.length > 0 || foreign.length > 0) {
    const parts = [
      ...added.map((r) => `${found.some((f) => f.id === r.id) ? "~" : "+"} ${describeRule(r)}`),
      ...(foreign.length > 0 ? [`hand-made rules kept: ${foreign.map((r) => r.id).join(", ")}`] : []),
    ];
    if (added.length > 0 || foreign.length > 0) lines.push({ verdict: "CHANGE", subject, text: `lifecycle ${parts.join("; ")}` });
  }

  const policy = observed.policy;
  // The stack's policy names the bucket's owner (its recovery statement): here the owner just read.
  const stackPolicy = expectedPolicy(expected, observed.owner);
  if (entry && entry.policy && policy === undefined) {
    lines.push({
      verdict: "REFUSE",
      subject,
      text: `adopt.buckets.${key}.policy is true, but ${expected.name} has no policy (the import would fail)`,
      fix: `set adopt.buckets.${key}.policy: false (the stack creates the policy)`,
    });
  } else if (entry && !entry.policy && policy !== undefined) {
    lines.push({
      verdict: "REFUSE",
      subject,
      text: `adopt.buckets.${key}.policy is false, but ${expected.name} has a policy: creating one would silently replace it`,
      fix: `set adopt.buckets.${key}.policy: true (it is imported, then updated to the stack's)`,
    });
  } else if (stackPolicy !== undefined) {
    if (policy === undefined) lines.push({ verdict: "CREATE", subject, text: `policy (${stackPolicy.Statement.length} statements)` });
    else {
      let diff: string[] = [];
      try {
        diff = differences(policyView(stackPolicy), policyView(policy), "policy");
      } catch {
        diff = ["the live policy is not JSON"];
      }
      if (diff.length > 0)
        lines.push({
          verdict: "CHANGE",
          subject,
          text: `policy replaced by the stack's (${stackPolicy.Statement.length} statements): ${diff.length} difference${diff.length === 1 ? "" : "s"}; any grant made by hand is dropped`,
        });
    }
  }
  out.adopt.buckets[key] = { name: expected.name, policy: policy !== undefined, lifecycle: "merge" };
  return lines;
}

/** The access key the running app uses: its 1Password item's username if the user has it, else the only key. */
function appAccessKey(
  app: string,
  config: PlatformConfig,
  keys: readonly string[],
  onepassword: ObservedOnePasswordForPlan | undefined,
): { key?: string; why: string } {
  const title = config.credentials.find((c) => c.kind === "s3" && c.app === app)?.title;
  const item = title ? onepassword?.items[title]?.item : undefined;
  const fromItem = item?.fields.find((f) => f.label === "username")?.value;
  if (fromItem && keys.includes(fromItem)) return { key: fromItem, why: `the key in item ${title}` };
  if (keys.length === 1) return { key: keys[0], why: "its only key" };
  return { why: keys.length === 0 ? "the user has no key" : `the user has ${keys.length} keys and no item says which one the app uses` };
}

function userLines(app: string, defaultUid: string, rgw: ObservedRgwForPlan, input: PlanInput, out: Plan): PlanLine[] {
  const subject = `rgw user ${app}`;
  const entry = input.adopt.users[app];
  const uid = entry?.uid ?? defaultUid;
  const user = rgw.users[uid];
  if (user === undefined) {
    if (entry)
      return [
        {
          verdict: "REFUSE",
          subject,
          text: `adopt.users.${app} names uid ${uid}, which does not exist`,
          fix: `remove adopt.users.${app} (the stack creates ${defaultUid}) or name the existing uid`,
        },
      ];
    return [{ verdict: "CREATE", subject, text: `${uid} with one new key` }];
  }
  const chosen = entry
    ? { key: user.accessKeys.includes(entry.accessKey) ? entry.accessKey : undefined, why: "adopt entry" }
    : appAccessKey(app, input.config, user.accessKeys, input.onepassword);
  const lines: PlanLine[] = [];
  if (!entry) {
    lines.push({
      verdict: "REFUSE",
      subject,
      text: `RGW user ${uid} exists (made by hand) and adopt.users has no entry for ${app}: the stack would refuse to create it`,
      fix: `add adopt.users.${app}: { uid: ${uid}, accessKey: <the key the app uses> } (in the block below)`,
    });
  } else if (chosen.key === undefined) {
    lines.push({
      verdict: "REFUSE",
      subject,
      text: `adopt.users.${app}.accessKey ${maskKey(entry.accessKey)} is not a key of ${uid} (its keys: ${user.accessKeys.map(maskKey).join(", ") || "none"})`,
      fix: `set adopt.users.${app}.accessKey to the key the running app uses`,
    });
  }
  if (user.suspended) {
    lines.push({
      verdict: "REFUSE",
      subject,
      text: `${uid} is suspended: the stack reports it and never un-suspends it`,
      fix: `radosgw-admin user enable --uid=${uid} if the apps should work, then run the plan again`,
    });
  }
  if (entry && chosen.key !== undefined && !user.suspended) {
    lines.push({
      verdict: "ADOPT",
      subject,
      text: `uid ${uid}, keeps key ${maskKey(chosen.key)} as its current key (${user.accessKeys.length} key${user.accessKeys.length === 1 ? "" : "s"}); no key created or removed`,
    });
  }
  if (!entry && chosen.key === undefined) {
    lines.push({
      verdict: "REFUSE",
      subject,
      text: `cannot tell which key of ${uid} the app uses: ${chosen.why}`,
      fix: `set adopt.users.${app}.accessKey by hand`,
    });
  }
  out.adopt.users[app] = { uid, accessKey: chosen.key ?? entry?.accessKey ?? "<the access key the app uses>" };
  return lines;
}

function itemLines(input: PlanInput, op: ObservedOnePasswordForPlan, out: Plan): PlanLine[] {
  const lines: PlanLine[] = [];
  const expected = expectedOnePassword(input.config);
  if (!op.vault) {
    return [
      {
        verdict: "REFUSE",
        subject: `vault ${expected.vault}`,
        text: `not found (the token sees: ${op.vaults.join(", ") || "no vaults"})`,
        fix: "check config onepasswordVault and the token's access",
      },
    ];
  }
  for (const credential of input.config.credentials) {
    const subject = `item ${credential.title}`;
    const want = expected.items.find((i) => i.title === credential.title);
    const seen = op.items[credential.title] ?? { summaries: [] };
    const same = seen.summaries.filter((s) => s.title === credential.title);
    const entry = input.adopt.items[credential.title];
    if (same.length === 0) {
      lines.push(
        entry
          ? {
              verdict: "REFUSE",
              subject,
              text: `adopt.items.${credential.title} names ${entry.id}, but vault ${op.vault.name} has no item titled ${credential.title}`,
              fix: `remove adopt.items.${credential.title} (the stack creates the item)`,
            }
          : { verdict: "CREATE", subject, text: `in vault ${op.vault.name}` },
      );
      continue;
    }
    if (same.length > 1) {
      lines.push({
        verdict: "REFUSE",
        subject,
        text: `${same.length} items titled ${credential.title} in vault ${op.vault.name} (${same.map((s) => s.id).join(", ")}): External Secrets refuses duplicates ("expected one 1Password Item matching")`,
        fix: "delete or rename all but the one the running services use, then run the plan again",
      });
      continue;
    }
    const summary = same[0];
    const id = `vaults/${op.vault.id}/items/${summary.id}`;
    const category = (want?.category ?? "").toUpperCase();
    if (summary.category.toUpperCase() !== category) {
      lines.push({
        verdict: "REFUSE",
        subject,
        text: `category ${summary.category}, the stack writes ${category}: the category cannot change without replacing the item`,
        fix: `make a ${category.toLowerCase()} item with the same values by hand, delete or rename the old one, then run the plan again`,
      });
      continue;
    }
    if (entry && entry.id !== id) {
      lines.push({
        verdict: "REFUSE",
        subject,
        text: `adopt.items.${credential.title}.id is ${entry.id}, the vault's item is ${id}`,
        fix: `set adopt.items.${credential.title}.id: ${id}`,
      });
      continue;
    }
    const keep: KeptField[] = credential.kind === "s3" ? ["password", "username"] : ["password"];
    lines.push({ verdict: "ADOPT", subject, text: `${summary.category.toLowerCase()}, import id ${id}, keeps ${keep.join(" and ")}` });
    const item = seen.item;
    if (item && want) {
      const changes = Object.entries(want.values)
        .filter(([label]) => !(keep as string[]).includes(label))
        .flatMap(([label, value]) => {
          const live = item.fields.find((f) => f.label === label)?.value;
          return live === value ? [] : [`${label} ${live === undefined ? "(none)" : JSON.stringify(live)} -> ${JSON.stringify(value)}`];
        });
      const declared = new Set([...want.fields.map((f) => f.label), ...Object.keys(want.values), "username", "password", "notesPlain"]);
      const undeclared = item.fields.filter((f) => f.label !== "" && !declared.has(f.label)).map((f) => f.label);
      const notes = item.fields.find((f) => f.purpose === "NOTES" && (f.value ?? "") !== "");
      const parts = [
        ...changes,
        ...(undeclared.length > 0 ? [`fields the stack does not declare, removed by the 1Password provider's update: ${undeclared.join(", ")}`] : []),
        ...(notes ? ["notes cleared"] : []),
      ];
      if (parts.length > 0) lines.push({ verdict: "CHANGE", subject, text: parts.join("; ") });
    }
    out.adopt.items[credential.title] = { id, keep };
  }
  return lines;
}

const fluxOwner = (object: KubeObject): string | undefined => {
  const labels = object.metadata?.labels ?? {};
  const [nameLabel, namespaceLabel] = FLUX_OWNER_LABELS;
  return labels[nameLabel] === undefined ? undefined : `${labels[namespaceLabel] ?? "?"}/${labels[nameLabel]}`;
};

/**
 * What the first `up` after the import changes in an adopted Flux object's spec (the stack applies its own
 * spec: retryInterval, suspend: false, the substitution source, ...), as verify words it. Other kinds: none
 * listed (their data comes from what the stack creates, or is secret).
 */
function adoptedSpecChanges(config: PlatformConfig, emitted: EmittedObject, live: KubeObject): string[] {
  const specs = expectedFluxSpecs(config.flux);
  const spec =
    emitted.kind === KUSTOMIZATION_TYPE.kind
      ? specs.kustomizations.find((k) => k.name === emitted.name)?.spec
      : emitted.kind === GIT_REPOSITORY_TYPE.kind
        ? specs.gitRepository.spec
        : undefined;
  return spec === undefined ? [] : specDifferences(spec, live.spec);
}

function kubernetesLines(input: PlanInput, kube: ObservedKubernetesForPlan, out: Plan): PlanLine[] {
  const lines: PlanLine[] = [];
  if (input.config.flux.install && kube.fluxInstalled) {
    lines.push({
      verdict: "REFUSE",
      subject: "flux install",
      text: "fluxInstall is true, but Flux is already installed: two owners would fight over its CRDs and controllers",
      fix: "set fluxInstall: false (Flux stays as bootstrapped)",
    });
  }
  for (const emitted of emittedObjects(input.config)) {
    const subject = `kubernetes ${emitted.ref}`;
    const live = kube.objects[emitted.ref];
    if (live === undefined) {
      lines.push({ verdict: "CREATE", subject, text: "(does not exist)" });
      continue;
    }
    const owner = fluxOwner(live);
    if (owner) {
      lines.push({
        verdict: "REFUSE",
        subject,
        text: `owned by Flux Kustomization ${owner} (kustomize.toolkit.fluxcd.io/name): Flux reverts every change the stack makes`,
        fix: "hand it over first: in Git annotate it kustomize.toolkit.fluxcd.io/prune: disabled, let Flux reconcile, remove it from Git, then run the plan again",
      });
      continue;
    }
    if (emitted.kind === KUSTOMIZATION_TYPE.kind) {
      const wanted = input.config.flux.kustomizations.find((k) => k.name === emitted.name);
      const spec = live.spec ?? {};
      const changes = [
        ...(wanted && spec.path !== wanted.path ? [`path ${JSON.stringify(spec.path)} -> ${JSON.stringify(wanted.path)}`] : []),
        ...(wanted && (spec.prune ?? false) !== wanted.prune ? [`prune ${String(spec.prune ?? false)} -> ${String(wanted.prune)}`] : []),
      ];
      if (changes.length > 0) {
        lines.push({
          verdict: "REFUSE",
          subject,
          text: `${changes.join(", ")}: Flux would garbage-collect what the old build applied (databases and volumes included)`,
          fix: `set the fluxKustomizations entry ${emitted.name} to the live path and prune, or rename the stack's Kustomization`,
        });
        continue;
      }
    }
    const importText = `import id ${emitted.namespace ? `${emitted.namespace}/${emitted.name}` : emitted.name}`;
    const changed = adoptedSpecChanges(input.config, emitted, live);
    lines.push({ verdict: "ADOPT", subject, text: changed.length === 0 ? importText : `${importText}; then up sets ${changed.join(", ")}` });
    out.adopt.kubernetes.push({
      kind: emitted.kind,
      ...(emitted.namespace !== undefined && { namespace: emitted.namespace }),
      name: emitted.name,
      ref: emitted.ref,
      importId: emitted.namespace ? `${emitted.namespace}/${emitted.name}` : emitted.name,
    });
  }
  return lines;
}

/** Every line of the plan and the adopt block for what was found. Systems not observed are left out. */
export function plan(input: PlanInput): Plan {
  const out: Plan = { lines: [], adopt: { buckets: {}, users: {}, items: {}, kubernetes: [] } };
  const { config } = input;
  if (input.rgw) {
    const rgw = input.rgw;
    const expected = expectedRgw(config);
    for (const bucket of expected.buckets)
      out.lines.push(...bucketLines(bucket.key, bucket, rgw.buckets[bucket.name], input.adopt.buckets[bucket.key], rgw.stackUid, out));
    for (const user of expected.users) out.lines.push(...userLines(user.app, rgwUserId(config.environment, user.app), rgw, input, out));
  }
  if (input.onepassword) out.lines.push(...itemLines(input, input.onepassword, out));
  if (input.kubernetes) out.lines.push(...kubernetesLines(input, input.kubernetes, out));
  return out;
}

/** The uids the plan needs read: each app's adopted uid, else its default one. */
export function uidsToRead(config: PlatformConfig, adopt: AdoptConfig = config.adopt): string[] {
  return expectedRgw(config).users.map((u) => adopt.users[u.app]?.uid ?? u.uid);
}
