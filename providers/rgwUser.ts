/**
 * RgwUser: a Ceph RGW user with one S3 key, managed through the RGW Admin Ops API by a Pulumi
 * dynamic provider.
 *
 * The provider object below is serialized by Pulumi (closure capture) and run in a separate
 * process. It only references this module's pure functions and `./rgwAdmin` (a local module,
 * captured by value; its node_modules imports are serialized as `require(...)`); it must not
 * reference `pulumi` or other deployment-time objects.
 *
 * Delete semantics (purgeDataOnDelete):
 * - false (default): the user and its keys are deleted without purging data. RGW itself refuses
 *   to delete a user that still owns buckets (409 BucketAlreadyExists), so nothing the user owns
 *   is destroyed: `pulumi destroy` fails with a message saying so. Objects the user wrote into
 *   buckets owned by someone else (the usual case here: the stack owns the buckets, users get
 *   policy grants) stay where they are. Leaving the user in place instead would leave working
 *   credentials behind that Pulumi no longer tracks, so that is not an option.
 * - true: the user is deleted with purge-data, which also deletes the buckets it owns and their
 *   objects.
 *
 * Connection settings (endpoint, region, admin keys) are kept in the state because read and
 * delete only get the state. Changing them is an in-place update that makes no RGW call, so
 * later refreshes and deletes use the current credentials.
 *
 * Key rotation is two-phase, because an app only gets a new key after 1Password is updated,
 * External Secrets refreshes (hourly) and its pods restart:
 * - The state holds the current key (accessKey/secretKey) and the previous key's id
 *   (previousAccessKey, "" when none; its secret is not kept).
 * - A rotation (keyRotation changed) first removes the previous key recorded in the state (if it
 *   is still on the user), then creates the new key. The new state has the new key as current and
 *   the old current key as previous, which stays valid until the next rotation. So after a
 *   rotation the user has exactly two managed keys; create without rotation has one.
 * - Order and failures: RGW is changed only by the remove and then the create, and creating the
 *   new key is the last call. An error in update leaves the old state, so: if the removal fails,
 *   nothing changed; if the create fails after the removal, the old state still names the removed
 *   key as previous, which is harmless (a key is only removed when it is on the user; read clears
 *   it). Creating first would leave an untracked working key whenever the removal then failed.
 * - A current key removed outside Pulumi (read records accessKey "") makes the next update create
 *   a key without removing the previous one: that is a repair, not a rotation.
 * - read records previousAccessKey "" when the previous key was removed outside Pulumi. That is
 *   not an input, so it causes no diff and no update by itself.
 * - Keys on the user that are neither current nor previous (e.g. made with radosgw-admin) are
 *   never adopted, used or removed; they are the operator's. Delete removes the user with all of
 *   its keys.
 */
import * as pulumi from "@pulumi/pulumi";
import {
  DEFAULT_RGW_REGION,
  createRgwAdminClient,
  isRgwAdminError,
  parseEndpoint,
  withHint,
  type RgwAdminClient,
  type RgwKey,
  type RgwUserInfo,
} from "./rgwAdmin";

/** Plain inputs as the provider sees them (secrets unwrapped by the engine). */
export interface RgwUserProviderInputs {
  endpoint: string;
  region: string;
  adminAccessKey: string;
  adminSecretKey: string;
  uid: string;
  displayName: string;
  keyRotation: string;
  purgeDataOnDelete: boolean;
}

/** Provider state: the inputs (read/delete need the connection) plus the managed S3 keys. */
export interface RgwUserState extends RgwUserProviderInputs {
  /** "" when the key was removed outside Pulumi (detected by read); the next update creates one. */
  accessKey: string;
  secretKey: string;
  /**
   * The key that was current before the last rotation: still valid (apps switch over gradually),
   * removed by the next rotation. "" when there is none or it was removed outside Pulumi.
   */
  previousAccessKey: string;
}

export interface RgwUserArgs {
  /** RGW base URL, e.g. http://rgw.example:7480. */
  endpoint: pulumi.Input<string>;
  /** SigV4 region (the zonegroup's api_name); default us-east-1. */
  region?: pulumi.Input<string>;
  /** Keys of an RGW user with caps users=*. */
  adminAccessKey: pulumi.Input<string>;
  adminSecretKey: pulumi.Input<string>;
  uid: pulumi.Input<string>;
  displayName: pulumi.Input<string>;
  /**
   * Any string; changing it creates a new S3 key (same user). The replaced key stays valid until
   * the next rotation, which removes it (see the module comment).
   */
  keyRotation?: pulumi.Input<string>;
  /** Default false: delete keeps the user's data (see the module comment). */
  purgeDataOnDelete?: pulumi.Input<boolean>;
}

/** Inputs whose change needs a new user; everything else is updated in place. */
export const REPLACE_ON_CHANGE: readonly (keyof RgwUserProviderInputs)[] = ["uid"];
/** Inputs whose change is applied to RGW by update. */
export const UPDATE_ON_CHANGE: readonly (keyof RgwUserProviderInputs)[] = ["displayName", "keyRotation"];
/** Inputs only recorded in the state (no RGW call). */
export const STATE_ONLY: readonly (keyof RgwUserProviderInputs)[] = [
  "endpoint",
  "region",
  "adminAccessKey",
  "adminSecretKey",
  "purgeDataOnDelete",
];

/** The engine's placeholder for values not known yet during preview. */
const UNKNOWN_DURING_PREVIEW = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

function asString(value: unknown, fallback = ""): string {
  if (value === undefined || value === null) return fallback;
  return typeof value === "string" ? value : String(value);
}

/** Applies defaults and coerces the engine's values to the provider's input types. */
export function normalizeInputs(raw: Record<string, unknown>): RgwUserProviderInputs {
  return {
    endpoint: asString(raw.endpoint).trim(),
    region: asString(raw.region) || DEFAULT_RGW_REGION,
    adminAccessKey: asString(raw.adminAccessKey),
    adminSecretKey: asString(raw.adminSecretKey),
    uid: asString(raw.uid),
    displayName: asString(raw.displayName),
    keyRotation: asString(raw.keyRotation),
    purgeDataOnDelete: raw.purgeDataOnDelete === true || raw.purgeDataOnDelete === "true",
  };
}

export function normalizeState(raw: Record<string, unknown>): RgwUserState {
  return {
    ...normalizeInputs(raw),
    accessKey: asString(raw.accessKey),
    secretKey: asString(raw.secretKey),
    previousAccessKey: asString(raw.previousAccessKey),
  };
}

export interface InputFailure {
  property: string;
  reason: string;
}

/** Input problems the provider's check reports (values still unknown in preview are skipped). */
export function validateInputs(inputs: RgwUserProviderInputs): InputFailure[] {
  const failures: InputFailure[] = [];
  const known = (value: string): boolean => value !== UNKNOWN_DURING_PREVIEW;
  if (known(inputs.endpoint)) {
    try {
      parseEndpoint(inputs.endpoint);
    } catch (error) {
      failures.push({ property: "endpoint", reason: error instanceof Error ? error.message : String(error) });
    }
  }
  if (known(inputs.uid)) {
    if (inputs.uid.trim() === "") {
      failures.push({ property: "uid", reason: "uid must not be empty" });
    } else if (!/^[A-Za-z0-9][A-Za-z0-9._@-]*$/.test(inputs.uid) || inputs.uid.length > 64) {
      // "$" (tenant) and ":" (subuser) have special meaning in RGW uids; keep to a safe set.
      failures.push({
        property: "uid",
        reason: `uid "${inputs.uid}" must be 1-64 characters: letters, digits, ".", "_", "@", "-", starting alphanumeric`,
      });
    }
  }
  if (known(inputs.displayName) && inputs.displayName.trim() === "") {
    failures.push({ property: "displayName", reason: "displayName must not be empty" });
  }
  if (known(inputs.adminAccessKey) && inputs.adminAccessKey === "") {
    failures.push({ property: "adminAccessKey", reason: "adminAccessKey must not be empty" });
  }
  if (known(inputs.adminSecretKey) && inputs.adminSecretKey === "") {
    failures.push({ property: "adminSecretKey", reason: "adminSecretKey must not be empty" });
  }
  return failures;
}

export interface RgwUserDiff {
  changes: boolean;
  replaces: string[];
  /** A rotation was requested (keyRotation changed): retire the previous key, demote the current one. */
  rotateKey: boolean;
  /** The update must create a new key (rotation requested, or the key was removed outside Pulumi). */
  createKey: boolean;
  /** The update must change the display name in RGW. */
  setDisplayName: boolean;
}

export function diffRgwUser(olds: RgwUserState, news: RgwUserProviderInputs): RgwUserDiff {
  const changed = (keys: readonly (keyof RgwUserProviderInputs)[]): string[] =>
    keys.filter((key) => olds[key] !== news[key]);
  const replaces = changed(REPLACE_ON_CHANGE);
  const rotateKey = olds.keyRotation !== news.keyRotation;
  const createKey = rotateKey || olds.accessKey === "";
  const setDisplayName = olds.displayName !== news.displayName;
  const stateOnly = changed(STATE_ONLY).length > 0;
  // previousAccessKey is not an input: read clearing it never causes an update.
  return {
    changes: replaces.length > 0 || createKey || setDisplayName || stateOnly,
    replaces,
    rotateKey,
    createKey,
    setDisplayName,
  };
}

function hasKey(user: RgwUserInfo, accessKey: string): boolean {
  return accessKey !== "" && user.keys.some((candidate) => candidate.accessKey === accessKey);
}

/**
 * The state after a refresh, or undefined when the user no longer exists (Pulumi then plans
 * to create it again). A display name changed in RGW shows up as a diff against the inputs;
 * a removed current key shows up as an empty accessKey, which makes the next update create a key;
 * a removed previous key shows up as an empty previousAccessKey (no diff: nothing to do).
 */
export function refreshState(state: RgwUserState, user: RgwUserInfo | undefined): RgwUserState | undefined {
  if (!user) return undefined;
  const key = user.keys.find((candidate) => candidate.accessKey === state.accessKey);
  return {
    ...state,
    uid: user.uid,
    displayName: user.displayName,
    accessKey: key ? key.accessKey : "",
    secretKey: key ? key.secretKey : "",
    previousAccessKey: hasKey(user, state.previousAccessKey) ? state.previousAccessKey : "",
  };
}

export interface KeyChangePlan {
  /** The stale previous key to remove before the new key is created; undefined: remove nothing. */
  removeFirst: string | undefined;
  /** previousAccessKey of the new state, once the new key exists. */
  previousAccessKey: string;
}

/**
 * What an update that creates a key does with the existing managed keys, given the user as RGW
 * has it now. Only keys recorded in the state and present on the user are touched; the current
 * key is never removed here.
 */
export function planKeyChange(olds: RgwUserState, user: RgwUserInfo, rotateKey: boolean): KeyChangePlan {
  const previous =
    olds.previousAccessKey !== olds.accessKey && hasKey(user, olds.previousAccessKey) ? olds.previousAccessKey : "";
  if (rotateKey) {
    // Retire the previous key; the current key becomes the previous one (if it still exists).
    return { removeFirst: previous || undefined, previousAccessKey: hasKey(user, olds.accessKey) ? olds.accessKey : "" };
  }
  // Repair of a current key removed outside Pulumi: apps may still use the previous key, keep it.
  return { removeFirst: undefined, previousAccessKey: previous };
}

/** The key that `after` has and `before` did not (RGW returns all keys after generating one). */
export function pickNewKey(before: readonly RgwKey[], after: readonly RgwKey[]): RgwKey | undefined {
  const known = new Set(before.map((key) => key.accessKey));
  return after.find((key) => !known.has(key.accessKey));
}

function adminClientFor(inputs: RgwUserProviderInputs): RgwAdminClient {
  return createRgwAdminClient({
    endpoint: inputs.endpoint,
    region: inputs.region,
    accessKey: inputs.adminAccessKey,
    secretKey: inputs.adminSecretKey,
  });
}

async function createKeyFor(client: RgwAdminClient, user: RgwUserInfo): Promise<RgwKey> {
  const newKey = pickNewKey(user.keys, await client.createKey(user.uid));
  if (!newKey) {
    throw new Error(`RGW generated a key for user "${user.uid}" but it is not in the returned key list`);
  }
  return newKey;
}

async function createUserWithKey(client: RgwAdminClient, inputs: RgwUserProviderInputs): Promise<RgwKey> {
  let user: RgwUserInfo;
  try {
    user = await client.createUser(inputs.uid, inputs.displayName);
  } catch (error) {
    if (isRgwAdminError(error, "conflict") && error.code === "UserAlreadyExists") {
      throw withHint(
        error,
        `RgwUser only manages users it created: choose another uid, or remove the existing user` +
          ` (radosgw-admin user rm --uid=${inputs.uid}) if it is not in use`,
      );
    }
    throw error;
  }
  return user.keys[0] ?? (await createKeyFor(client, user));
}

export const rgwUserProvider: pulumi.dynamic.ResourceProvider<RgwUserProviderInputs, RgwUserState> = {
  async check(_olds, news) {
    const inputs = normalizeInputs(news as unknown as Record<string, unknown>);
    return { inputs, failures: validateInputs(inputs) };
  },

  async diff(_id, olds, news) {
    const result = diffRgwUser(
      normalizeState(olds as unknown as Record<string, unknown>),
      normalizeInputs(news as unknown as Record<string, unknown>),
    );
    // Replacement uses a new uid, so create-before-delete is safe.
    return { changes: result.changes, replaces: result.replaces, deleteBeforeReplace: false };
  },

  async create(rawInputs) {
    const inputs = normalizeInputs(rawInputs as unknown as Record<string, unknown>);
    const key = await createUserWithKey(adminClientFor(inputs), inputs);
    const outs: RgwUserState = { ...inputs, accessKey: key.accessKey, secretKey: key.secretKey, previousAccessKey: "" };
    return { id: inputs.uid, outs };
  },

  async read(id, rawProps) {
    const state = normalizeState({ ...(rawProps ?? {}), uid: id });
    const refreshed = refreshState(state, await adminClientFor(state).getUser(id));
    return refreshed ? { id, props: refreshed } : {};
  },

  async update(_id, rawOlds, rawNews) {
    const olds = normalizeState(rawOlds as unknown as Record<string, unknown>);
    const inputs = normalizeInputs(rawNews as unknown as Record<string, unknown>);
    const plan = diffRgwUser(olds, inputs);
    const client = adminClientFor(inputs);
    const needsRgw = plan.createKey || plan.setDisplayName;
    let user = needsRgw ? await client.getUser(inputs.uid) : undefined;
    if (needsRgw && !user) {
      // Deleted behind Pulumi's back since the last refresh: create it again.
      const key = await createUserWithKey(client, inputs);
      const outs: RgwUserState = { ...inputs, accessKey: key.accessKey, secretKey: key.secretKey, previousAccessKey: "" };
      return { outs };
    }
    if (user && plan.setDisplayName) {
      user = await client.modifyUser(inputs.uid, inputs.displayName);
    }
    if (user && plan.createKey) {
      // Remove the stale previous key first, create the new key last: whichever call fails, every
      // key left on the user is one the (old) state records (see the module comment).
      const keys = planKeyChange(olds, user, plan.rotateKey);
      if (keys.removeFirst !== undefined) await client.removeKey(keys.removeFirst);
      const key = await createKeyFor(client, user);
      const outs: RgwUserState = {
        ...inputs,
        accessKey: key.accessKey,
        secretKey: key.secretKey,
        previousAccessKey: keys.previousAccessKey,
      };
      return { outs };
    }
    const outs: RgwUserState = {
      ...inputs,
      accessKey: olds.accessKey,
      secretKey: olds.secretKey,
      previousAccessKey: olds.previousAccessKey,
    };
    return { outs };
  },

  async delete(id, rawProps) {
    const state = normalizeState(rawProps as unknown as Record<string, unknown>);
    try {
      await adminClientFor(state).deleteUser(id, state.purgeDataOnDelete);
    } catch (error) {
      if (isRgwAdminError(error, "notFound") && error.code === "NoSuchUser") return;
      if (isRgwAdminError(error, "conflict") && error.code === "BucketAlreadyExists") {
        throw withHint(error, `RgwUser "${id}" has purgeDataOnDelete=false, so its buckets and data are kept`);
      }
      throw error;
    }
  },
};

export class RgwUser extends pulumi.dynamic.Resource {
  // `declare`: ES2022 class fields would reset the outputs the base constructor sets.
  declare public readonly uid: pulumi.Output<string>;
  declare public readonly displayName: pulumi.Output<string>;
  declare public readonly accessKey: pulumi.Output<string>;
  declare public readonly secretKey: pulumi.Output<string>;
  /** The key replaced by the last rotation, still valid until the next one ("" when none). Secret. */
  declare public readonly previousAccessKey: pulumi.Output<string>;

  constructor(name: string, args: RgwUserArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      rgwUserProvider,
      name,
      {
        endpoint: args.endpoint,
        region: args.region ?? DEFAULT_RGW_REGION,
        adminAccessKey: pulumi.secret(args.adminAccessKey),
        adminSecretKey: pulumi.secret(args.adminSecretKey),
        uid: args.uid,
        displayName: args.displayName,
        keyRotation: args.keyRotation ?? "",
        purgeDataOnDelete: args.purgeDataOnDelete ?? false,
        accessKey: undefined,
        secretKey: undefined,
        previousAccessKey: undefined,
      },
      pulumi.mergeOptions(opts, {
        additionalSecretOutputs: ["accessKey", "secretKey", "previousAccessKey", "adminAccessKey", "adminSecretKey"],
      }),
      "rgw",
      "RgwUser",
    );
  }
}
