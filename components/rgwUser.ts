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

/** Provider state: the inputs (read/delete need the connection) plus the managed S3 key. */
export interface RgwUserState extends RgwUserProviderInputs {
  /** "" when the key was removed outside Pulumi (detected by read); the next update creates one. */
  accessKey: string;
  secretKey: string;
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
  /** Any string; changing it creates a new S3 key and removes the old one (same user). */
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
  return { ...normalizeInputs(raw), accessKey: asString(raw.accessKey), secretKey: asString(raw.secretKey) };
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
  /** The update must create a new key (rotation requested, or the key was removed outside Pulumi). */
  rotateKey: boolean;
  /** The update must change the display name in RGW. */
  setDisplayName: boolean;
}

export function diffRgwUser(olds: RgwUserState, news: RgwUserProviderInputs): RgwUserDiff {
  const changed = (keys: readonly (keyof RgwUserProviderInputs)[]): string[] =>
    keys.filter((key) => olds[key] !== news[key]);
  const replaces = changed(REPLACE_ON_CHANGE);
  const keyMissing = olds.accessKey === "";
  const rotateKey = olds.keyRotation !== news.keyRotation || keyMissing;
  const setDisplayName = olds.displayName !== news.displayName;
  const stateOnly = changed(STATE_ONLY).length > 0;
  return {
    changes: replaces.length > 0 || rotateKey || setDisplayName || stateOnly,
    replaces,
    rotateKey,
    setDisplayName,
  };
}

/**
 * The state after a refresh, or undefined when the user no longer exists (Pulumi then plans
 * to create it again). A display name changed in RGW shows up as a diff against the inputs;
 * a removed key shows up as an empty accessKey, which makes the next update create a key.
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
  };
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
    const outs: RgwUserState = { ...inputs, accessKey: key.accessKey, secretKey: key.secretKey };
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
    const needsRgw = plan.rotateKey || plan.setDisplayName;
    let user = needsRgw ? await client.getUser(inputs.uid) : undefined;
    if (needsRgw && !user) {
      // Deleted behind Pulumi's back since the last refresh: create it again.
      const key = await createUserWithKey(client, inputs);
      return { outs: { ...inputs, accessKey: key.accessKey, secretKey: key.secretKey } };
    }
    if (user && plan.setDisplayName) {
      user = await client.modifyUser(inputs.uid, inputs.displayName);
    }
    let key: RgwKey = { user: inputs.uid, accessKey: olds.accessKey, secretKey: olds.secretKey };
    if (user && plan.rotateKey) {
      // New key first, then remove the old one, so the user is never left without a key.
      const oldKey = user.keys.find((candidate) => candidate.accessKey === olds.accessKey);
      key = await createKeyFor(client, user);
      if (oldKey) await client.removeKey(oldKey.accessKey);
    }
    return { outs: { ...inputs, accessKey: key.accessKey, secretKey: key.secretKey } };
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
  // `declare`: class fields would reset the outputs the base constructor sets (see pulumi-facts).
  declare public readonly uid: pulumi.Output<string>;
  declare public readonly displayName: pulumi.Output<string>;
  declare public readonly accessKey: pulumi.Output<string>;
  declare public readonly secretKey: pulumi.Output<string>;

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
      },
      pulumi.mergeOptions(opts, {
        additionalSecretOutputs: ["accessKey", "secretKey", "adminAccessKey", "adminSecretKey"],
      }),
      "rgw",
      "RgwUser",
    );
  }
}
