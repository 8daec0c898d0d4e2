/**
 * RemovalGuard: stops a run, before anything changes, when an entry that apps depend on is gone from the
 * config without being released on purpose.
 *
 * Why: the engine applies creates and updates first and deletes last. When a bucket entry or an app was
 * dropped from config, the updates (a bucket policy losing a grant, the Flux ConfigMap losing a variable)
 * ran first and cut the apps off; only then did the first protected delete stop the update. `up
 * --skip-preview`, as the workflows run it, shows no preview to catch that. This resource is registered
 * first, and the program registers nothing else until the engine has checked it: its `check` compares
 * the entries of the last run (the old inputs) with this run's and fails when one is missing and not
 * released (removed with `remove: true`, renamed with previousKeys/previousTitles, an app in
 * s3AppsRemoved). The failure is reported by `preview` too. It talks to nothing; its state is the list.
 *
 * Serialized like the other dynamic providers: it references only this module's pure functions.
 */
import * as pulumi from "@pulumi/pulumi";

export type GuardedKind = "app" | "bucket" | "item" | "kustomization";

/** Inputs as the provider sees them. */
export interface RemovalGuardInputs {
  /** `<kind>:<key>` of everything the stack holds that an app depends on. */
  entries: string[];
  /** Bucket key to S3 bucket name. */
  bucketNames: Record<string, string>;
  /** `<kind>:<key>` the config lets go this run (removed on purpose, or renamed). */
  released: string[];
}

export interface RemovalGuardArgs {
  entries: pulumi.Input<string[]>;
  bucketNames: pulumi.Input<Record<string, string>>;
  released: pulumi.Input<string[]>;
}

export const guardEntry = (kind: GuardedKind, key: string): string => `${kind}:${key}`;

/** What a missing entry would cost, and how to let it go on purpose. */
const LOSS: Record<GuardedKind, (key: string) => string> = {
  app: (app) =>
    `app ${app} is gone from data-platform:s3Apps: its grants would be dropped from the bucket policies before its protected RGW user and 1Password item stop the update, cutting it off. To remove it on purpose, add it to data-platform:s3AppsRemoved`,
  bucket: (key) =>
    `bucket entry ${key} is gone from data-platform:buckets: the apps would lose their grants and Flux its S3_BUCKET variable before the protected bucket stops the update. If you renamed it, add previousKeys: [${key}] to the new entry; to remove it on purpose, write {key: ${key}, remove: true}`,
  item: (title) =>
    `1Password item ${title} is gone from data-platform:credentials: Flux would lose its OP_ITEM variable before the protected item stops the update. If you renamed it, add previousTitles: [${title}] to the new entry; to remove it on purpose, write {title: ${title}, remove: true}`,
  kustomization: (name) =>
    `Kustomization ${name} is gone from data-platform:fluxKustomizations: deleting it makes Flux prune everything it applied. To remove it on purpose, write {name: ${name}, remove: true}`,
};

/** One reason per entry of the last run that is gone and not released, and per bucket whose name changed. */
export function removalProblems(olds: Partial<RemovalGuardInputs>, news: RemovalGuardInputs): string[] {
  const problems: string[] = [];
  for (const entry of olds.entries ?? []) {
    if (news.entries.includes(entry) || news.released.includes(entry)) continue;
    const colon = entry.indexOf(":");
    const kind = entry.slice(0, colon) as GuardedKind;
    const key = entry.slice(colon + 1);
    problems.push(kind in LOSS ? LOSS[kind](key) : `${entry} is gone from the config`);
  }
  for (const [key, name] of Object.entries(olds.bucketNames ?? {})) {
    const next = news.bucketNames[key];
    if (next !== undefined && next !== name) {
      problems.push(
        `bucket entry ${key} changes its name from ${name} to ${next}: an S3 bucket cannot be renamed (a new, empty bucket would be made and the apps pointed at it); keep the name, or add a new entry for the new bucket`,
      );
    }
  }
  return problems;
}

export const removalGuardProvider: pulumi.dynamic.ResourceProvider<RemovalGuardInputs, RemovalGuardInputs> = {
  async check(olds, news) {
    const problems = removalProblems(olds, news);
    return problems.length === 0 ? { inputs: news } : { inputs: news, failures: problems.map((reason) => ({ property: "entries", reason })) };
  },
  async create(inputs) {
    return { id: "removal-guard", outs: inputs };
  },
  async update(_id, _olds, news) {
    return { outs: news };
  },
};

export class RemovalGuard extends pulumi.dynamic.Resource {
  declare public readonly entries: pulumi.Output<string[]>;

  constructor(name: string, args: RemovalGuardArgs, opts?: pulumi.CustomResourceOptions) {
    super(removalGuardProvider, name, args, opts, "platform", "RemovalGuard");
  }
}
