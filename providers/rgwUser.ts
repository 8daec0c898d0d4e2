/**
 * RgwUser: a Ceph RGW user with one S3 key, managed through the RGW Admin Ops API by a Pulumi
 * dynamic provider.
 *
 * The provider object below is serialized by Pulumi (closure capture) and run in a separate
 * process. It only references this module's pure functions and local modules (captured by value;
 * their node_modules imports are serialized as `require(...)`); it must not reference `pulumi` or
 * other deployment-time objects.
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
 * Keys this provider makes have ids it chooses: `managedAccessKey(uid, keyRotation)`, 20 characters,
 * an 8-character prefix derived from the uid and 12 from the rotation value (RGW still generates the
 * secret). So a retried create or rotation asks for the same id, and the provider can tell its own keys
 * from others (an RGW-generated id starts with that prefix with odds of about 1 in 10^12).
 * Every call can be cut off (engine killed, answer lost) after RGW acted; the next run repairs it:
 * - create finding the uid taken by a user with this resource's display name adopts it as its own
 *   half-done work: it keeps or makes the key for the current keyRotation, removes every other key of
 *   its own making (no state tracks them: a create runs only when no state has the resource, and the
 *   lost answer was the only place their secrets went) and un-suspends the user. A user with another
 *   display name is someone else's: create refuses it, as before. (A second resource with the same uid,
 *   e.g. a rename without an alias, would also be adopted; ObjectStorage protects its users against that.)
 * - a rotation (keyRotation changed) first removes the previous key recorded in the state and every
 *   key of its own making that the state does not track (left by an interrupted rotation), then makes
 *   the new key, or adopts it when an interrupted run already made it. The new state has the new key as
 *   current and the old current key as previous, which stays valid until the next rotation (apps switch
 *   over gradually: 1Password, External Secrets, pod restarts). A key the state tracks is never removed
 *   except the previous one by a rotation, and keys not of this provider's making (radosgw-admin, or
 *   made by versions before chosen ids) are never touched. Delete removes the user with all its keys.
 * - A current key removed outside Pulumi (read records accessKey "") makes the next update create
 *   the key again without removing the previous one: that is a repair, not a rotation.
 * - read records previousAccessKey "" when the previous key was removed outside Pulumi (no diff by
 *   itself), and the user's suspended flag: a suspended user is drift, and update un-suspends it.
 *
 * Adoption (input `adopt`: config `adopt.users`): the engine cannot import a dynamic resource
 * (pulumi/pulumi#16175), so create takes over the existing user instead: it must exist, must not be
 * suspended (reported, never changed: a hand-made user may be suspended on purpose) and must hold
 * `adopt.accessKey`, which becomes the current key. No key is made or removed; only the display name
 * becomes the stack's. The key's secret is recorded only with `adopt.readSecret` (when the app's 1Password
 * item is written by the stack; an adopted item keeps its own), and a refresh does not add it. The next
 * rotation (keyRotation changed) is the usual one: a new key of this provider's making, the adopted key as
 * previous (valid until the rotation after). An adopted user is never un-suspended by an update either.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_RGW_REGION, UNKNOWN_DURING_PREVIEW, parseEndpoint, type RgwConnection, type RgwConnectionArgs } from "./connection";
import { isRgwError, withHint } from "./errors";
import { connectionInputs } from "./resourceInputs";
import { createRgwAdminClient, type RgwAdminClient, type RgwKey, type RgwUserInfo } from "./rgwAdmin";

/** Plain inputs as the provider sees them (wire names; secrets unwrapped by the engine). */
export interface RgwUserProviderInputs {
  endpoint: string;
  region: string;
  adminAccessKey: string;
  adminSecretKey: string;
  /** Only present when set (RgwConnectionArgs.timeoutMs). */
  timeoutMs?: number;
  uid: string;
  displayName: string;
  keyRotation: string;
  purgeDataOnDelete: boolean;
  /** Take over an existing user (see the module comment); absent for users this provider makes. */
  adopt?: RgwUserAdoption;
}

/** What adopting a user keeps: the key the running apps use, and whether to read its secret. */
export interface RgwUserAdoption {
  accessKey: string;
  readSecret: boolean;
}

/** Provider state: the inputs (read/delete need the connection) plus what RGW has. */
export interface RgwUserState extends RgwUserProviderInputs {
  /** "" when the key was removed outside Pulumi (detected by read); the next update creates one. */
  accessKey: string;
  secretKey: string;
  /**
   * The key that was current before the last rotation: still valid (apps switch over gradually),
   * removed by the next rotation. "" when there is none or it was removed outside Pulumi.
   */
  previousAccessKey: string;
  /** True when read found the user suspended (drift: update un-suspends it). */
  suspended: boolean;
}

export interface RgwUserArgs {
  /** The RGW and the keys of a user with caps users=*. */
  connection: RgwConnectionArgs;
  uid: pulumi.Input<string>;
  /** Also how a create recognises a user it made in an interrupted run (see the module comment). */
  displayName: pulumi.Input<string>;
  /**
   * Any string; changing it creates a new S3 key (same user). The replaced key stays valid until
   * the next rotation, which removes it (see the module comment).
   */
  keyRotation?: pulumi.Input<string>;
  /** Default false: delete keeps the user's data (see the module comment). */
  purgeDataOnDelete?: pulumi.Input<boolean>;
  /** Take over the existing user `uid`, keeping `accessKey` as its current key (see the module comment). */
  adopt?: pulumi.Input<{ accessKey: pulumi.Input<string>; readSecret: pulumi.Input<boolean> }>;
}

/** Inputs whose change needs a new user; everything else is updated in place. */
const REPLACE_ON_CHANGE: readonly (keyof RgwUserProviderInputs)[] = ["uid"];
/** Inputs only recorded in the state (no RGW call). */
const STATE_ONLY: readonly (keyof RgwUserProviderInputs)[] = [
  "endpoint",
  "region",
  "adminAccessKey",
  "adminSecretKey",
  "timeoutMs",
  "purgeDataOnDelete",
  "adopt",
];

function asString(value: unknown, fallback = ""): string {
  if (value === undefined || value === null) return fallback;
  return typeof value === "string" ? value : String(value);
}

function adoptionOf(raw: unknown): RgwUserAdoption | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const { accessKey, readSecret } = raw as Record<string, unknown>;
  return { accessKey: asString(accessKey), readSecret: readSecret === true || readSecret === "true" };
}

/** Applies defaults and coerces the engine's values to the provider's input types. */
export function normalizeInputs(raw: Record<string, unknown>): RgwUserProviderInputs {
  const adopt = adoptionOf(raw.adopt);
  return {
    endpoint: asString(raw.endpoint).trim(),
    region: asString(raw.region) || DEFAULT_RGW_REGION,
    adminAccessKey: asString(raw.adminAccessKey),
    adminSecretKey: asString(raw.adminSecretKey),
    ...(typeof raw.timeoutMs === "number" && { timeoutMs: raw.timeoutMs }),
    uid: asString(raw.uid),
    displayName: asString(raw.displayName),
    keyRotation: asString(raw.keyRotation),
    purgeDataOnDelete: raw.purgeDataOnDelete === true || raw.purgeDataOnDelete === "true",
    ...(adopt !== undefined && { adopt }),
  };
}

/** The one way a state is made: inputs, the current key (none: ""), the previous key id, the suspended flag. */
export function rgwUserState(
  inputs: RgwUserProviderInputs,
  key: Pick<RgwKey, "accessKey" | "secretKey"> | undefined,
  previousAccessKey = "",
  suspended = false,
): RgwUserState {
  return {
    ...normalizeInputs({ ...inputs }),
    accessKey: key?.accessKey ?? "",
    secretKey: key?.secretKey ?? "",
    previousAccessKey,
    suspended,
  };
}

/** A state as the engine hands it over (fields added later read as absent: no key, not suspended). */
export function normalizeState(raw: Record<string, unknown>): RgwUserState {
  const key = { accessKey: asString(raw.accessKey), secretKey: asString(raw.secretKey) };
  return rgwUserState(normalizeInputs(raw), key, asString(raw.previousAccessKey), raw.suspended === true);
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
  for (const property of ["adminAccessKey", "adminSecretKey"] as const) {
    if (known(inputs[property]) && inputs[property] === "") failures.push({ property, reason: `${property} must not be empty` });
  }
  if (inputs.adopt !== undefined && known(inputs.adopt.accessKey) && inputs.adopt.accessKey.trim() === "") {
    failures.push({ property: "adopt", reason: "adopt.accessKey must not be empty: name the key the running apps use" });
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
  /** Read found the user suspended: the update un-suspends it. */
  unsuspend: boolean;
}

export function diffRgwUser(olds: RgwUserState, news: RgwUserProviderInputs): RgwUserDiff {
  // adopt is an object: compared by content.
  const changed = (keys: readonly (keyof RgwUserProviderInputs)[]): string[] =>
    keys.filter((key) => (key === "adopt" ? JSON.stringify(olds.adopt ?? null) !== JSON.stringify(news.adopt ?? null) : olds[key] !== news[key]));
  const replaces = changed(REPLACE_ON_CHANGE);
  const rotateKey = olds.keyRotation !== news.keyRotation;
  const createKey = rotateKey || olds.accessKey === "";
  const setDisplayName = olds.displayName !== news.displayName;
  const unsuspend = olds.suspended;
  const stateOnly = changed(STATE_ONLY).length > 0;
  // previousAccessKey is not an input: read clearing it never causes an update.
  return {
    changes: replaces.length > 0 || createKey || setDisplayName || unsuspend || stateOnly,
    replaces,
    rotateKey,
    createKey,
    setDisplayName,
    unsuspend,
  };
}

function hasKey(user: RgwUserInfo, accessKey: string): boolean {
  return accessKey !== "" && user.keys.some((candidate) => candidate.accessKey === accessKey);
}

/**
 * The state after a refresh, or undefined when the user no longer exists (Pulumi then plans
 * to create it again). A display name changed in RGW shows up as a diff against the inputs;
 * a removed current key shows up as an empty accessKey, which makes the next update create a key;
 * a removed previous key shows up as an empty previousAccessKey (no diff: nothing to do);
 * a suspended user shows up as suspended (a diff: update un-suspends it).
 */
export function refreshState(state: RgwUserState, user: RgwUserInfo | undefined): RgwUserState | undefined {
  if (!user) return undefined;
  const found = user.keys.find((candidate) => candidate.accessKey === state.accessKey);
  // An adopted key whose secret was not read stays without it (the app's own 1Password item holds it).
  const unread = found !== undefined && state.adopt !== undefined && found.accessKey === state.adopt.accessKey && state.secretKey === "";
  const key = unread ? { accessKey: found.accessKey, secretKey: "" } : found;
  const previous = hasKey(user, state.previousAccessKey) ? state.previousAccessKey : "";
  return rgwUserState({ ...state, uid: user.uid, displayName: user.displayName }, key, previous, user.suspended);
}

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** SHA-256 of `text` in RFC 4648 base32 (upper case, like RGW's own access key ids). */
function base32Digest(text: string): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const byte of createHash("sha256").update(text).digest()) {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

/** The first 8 characters of every access key id this provider chooses for `uid`. */
function managedKeyPrefix(uid: string): string {
  return base32Digest(`rgw-user-key-owner\0${uid}`).slice(0, 8);
}

/** The access key id this provider gives `uid`'s key for a keyRotation value (see the module comment). */
export function managedAccessKey(uid: string, keyRotation: string): string {
  return managedKeyPrefix(uid) + base32Digest(`rgw-user-key\0${uid}\0${keyRotation}`).slice(0, 12);
}

/** True for a key id this provider chose for `uid` (for any keyRotation). */
export function isManagedAccessKey(uid: string, accessKey: string): boolean {
  return accessKey.length === 20 && accessKey.startsWith(managedKeyPrefix(uid));
}

export interface KeyChangePlan {
  /** Keys to remove before the new key is made: the retired previous key and untracked keys of this provider's making. */
  remove: string[];
  /** Id of the key the new state has as current. */
  accessKey: string;
  /** That key when it is already on the user (made by an interrupted run) and is kept: adopted, not created. */
  adopt: RgwKey | undefined;
  /** previousAccessKey of the new state. */
  previousAccessKey: string;
}

/**
 * What a key change does, given the user as RGW has it now. `olds` is undefined for a create that adopts
 * the user (no state tracks any key then). Only the retired previous key (rotation) and keys of this
 * provider's making that no state field tracks are removed: never the current key, never an operator's.
 */
export function planKeyChange(
  olds: Pick<RgwUserState, "accessKey" | "previousAccessKey"> | undefined,
  user: RgwUserInfo,
  inputs: Pick<RgwUserProviderInputs, "uid" | "keyRotation">,
  rotateKey: boolean,
): KeyChangePlan {
  const current = olds && hasKey(user, olds.accessKey) ? olds.accessKey : "";
  const previous = olds && olds.previousAccessKey !== olds.accessKey && hasKey(user, olds.previousAccessKey) ? olds.previousAccessKey : "";
  const target = managedAccessKey(inputs.uid, inputs.keyRotation);
  // A rotation retires the previous key; a repair (current key removed outside Pulumi) keeps it: apps may use it.
  const retired = rotateKey && previous !== "" ? [previous] : [];
  const untracked = user.keys
    .map((key) => key.accessKey)
    .filter((id) => id !== current && id !== previous && id !== target && isManagedAccessKey(inputs.uid, id));
  const remove = [...retired, ...untracked];
  // The target being the retired key (rotating back to an earlier value) is removed and made anew.
  const onUser = user.keys.find((key) => key.accessKey === target);
  const adopt = onUser && !remove.includes(target) ? onUser : undefined;
  const previousAccessKey = rotateKey ? (current === target ? "" : current) : previous;
  return { remove, accessKey: target, adopt, previousAccessKey };
}

function connectionOf(inputs: RgwUserProviderInputs): RgwConnection {
  return {
    endpoint: inputs.endpoint,
    region: inputs.region,
    accessKey: inputs.adminAccessKey,
    secretKey: inputs.adminSecretKey,
    timeoutMs: inputs.timeoutMs,
  };
}

/** Removes what the plan retires, then adopts or creates the new key (the last call: see the module comment). */
async function applyKeyPlan(client: RgwAdminClient, uid: string, plan: KeyChangePlan): Promise<RgwKey> {
  for (const accessKey of plan.remove) await client.removeKey(accessKey);
  if (plan.adopt) return plan.adopt;
  const created = (await client.createKey(uid, plan.accessKey)).find((key) => key.accessKey === plan.accessKey);
  if (!created) throw new Error(`RGW generated a key for user "${uid}" but it is not in the returned key list`);
  return created;
}

function suspendedError(uid: string): Error {
  return new Error(
    `RGW user "${uid}" is suspended: the stack reports it and does not change it (a hand-made user may be suspended on purpose).` +
      ` Find out why; enable it (radosgw-admin user enable --uid=${uid}) or remove its adopt entry (data-platform:adopt.users), then run again`,
  );
}

/** Takes over an existing user (input adopt): keeps its keys, makes none, reports a suspended user. */
export async function adoptRgwUser(client: RgwAdminClient, inputs: RgwUserProviderInputs & { adopt: RgwUserAdoption }): Promise<RgwUserState> {
  const { uid, adopt } = inputs;
  const user = await client.getUser(uid);
  if (!user) {
    throw new Error(
      `cannot adopt RGW user "${uid}": it does not exist (data-platform:adopt.users names it; remove that entry to have the stack create the app's own user)`,
    );
  }
  if (user.suspended) throw suspendedError(uid);
  const key = user.keys.find((candidate) => candidate.accessKey === adopt.accessKey);
  if (!key) {
    throw new Error(
      `cannot adopt RGW user "${uid}": it has no access key ${adopt.accessKey} (it has ${user.keys.length} key${user.keys.length === 1 ? "" : "s"});` +
        ` set data-platform:adopt.users.<app>.accessKey to the key the running apps use (radosgw-admin user info --uid=${uid})`,
    );
  }
  if (user.displayName !== inputs.displayName) await client.modifyUser(uid, inputs.displayName);
  return rgwUserState(inputs, { accessKey: key.accessKey, secretKey: adopt.readSecret ? key.secretKey : "" });
}

/** Creates the user with its key, or adopts the user an interrupted create of this resource left behind. */
export async function createRgwUser(client: RgwAdminClient, inputs: RgwUserProviderInputs): Promise<RgwUserState> {
  if (inputs.adopt !== undefined) return adoptRgwUser(client, { ...inputs, adopt: inputs.adopt });
  const accessKey = managedAccessKey(inputs.uid, inputs.keyRotation);
  try {
    const user = await client.createUser(inputs.uid, inputs.displayName, accessKey);
    // An RGW that ignored the chosen id made exactly one key of its own: track that one rather than add a second.
    const key = user.keys.find((candidate) => candidate.accessKey === accessKey) ?? user.keys[0];
    return rgwUserState(inputs, key ?? (await applyKeyPlan(client, inputs.uid, planKeyChange(undefined, user, inputs, false))));
  } catch (error) {
    if (!isRgwError(error, "conflict") || error.code !== "UserAlreadyExists") throw error;
    const existing = await client.getUser(inputs.uid);
    if (!existing || existing.displayName !== inputs.displayName) {
      throw withHint(
        error,
        `it is not this resource's (its display name is not "${inputs.displayName}"): choose another uid, or remove the existing user` +
          ` (radosgw-admin user rm --uid=${inputs.uid}) if it is not in use`,
      );
    }
    // Our own half-done work holds only keys of this provider's making. A key it did not make means the
    // user was made (or re-made) by hand: taking it over would leave that key working unseen. Refuse and
    // name it; a user to keep with its hand-made key is adopted by config (adopt.users), a path of its own.
    // Named by their first and last characters: enough to find them, and no message quotes a whole key.
    const foreign = existing.keys
      .filter((key) => !isManagedAccessKey(inputs.uid, key.accessKey))
      .map((key) => `${key.accessKey.slice(0, 4)}…${key.accessKey.slice(-2)}`);
    if (foreign.length > 0) {
      throw withHint(
        error,
        `it has this resource's display name but holds access key${foreign.length === 1 ? "" : "s"} ${foreign.join(", ")} the stack did not make:` +
          ` remove ${foreign.length === 1 ? "it" : "them"} (radosgw-admin key rm --uid=${inputs.uid} --access-key <key>) and run again,` +
          ` or keep the user with that key through data-platform:adopt.users`,
      );
    }
    const user = existing.suspended ? await client.modifyUser(inputs.uid, inputs.displayName, { suspended: false }) : existing;
    return rgwUserState(inputs, await applyKeyPlan(client, inputs.uid, planKeyChange(undefined, user, inputs, false)));
  }
}

/** Applies a diff to RGW (see the module comment for the order of calls). */
export async function updateRgwUser(client: RgwAdminClient, olds: RgwUserState, inputs: RgwUserProviderInputs): Promise<RgwUserState> {
  const plan = diffRgwUser(olds, inputs);
  if (!plan.createKey && !plan.setDisplayName && !plan.unsuspend) return rgwUserState(inputs, olds, olds.previousAccessKey);
  let user = await client.getUser(inputs.uid);
  // Deleted behind Pulumi's back since the last refresh: create it again (an adopted one is not re-made: its create refuses).
  if (!user) return createRgwUser(client, inputs);
  if (user.suspended && inputs.adopt !== undefined) throw suspendedError(inputs.uid);
  if (plan.setDisplayName || user.suspended) {
    user = await client.modifyUser(inputs.uid, inputs.displayName, user.suspended ? { suspended: false } : {});
  }
  if (!plan.createKey) return rgwUserState(inputs, olds, hasKey(user, olds.previousAccessKey) ? olds.previousAccessKey : "");
  const keys = planKeyChange(olds, user, inputs, plan.rotateKey);
  return rgwUserState(inputs, await applyKeyPlan(client, inputs.uid, keys), keys.previousAccessKey);
}

export const rgwUserProvider: pulumi.dynamic.ResourceProvider<RgwUserProviderInputs, RgwUserState> = {
  async check(_olds, news) {
    const inputs = normalizeInputs(news as unknown as Record<string, unknown>);
    return { inputs, failures: validateInputs(inputs) };
  },

  async diff(_id, olds, news) {
    const result = diffRgwUser(normalizeState(olds as unknown as Record<string, unknown>), normalizeInputs(news as unknown as Record<string, unknown>));
    // Replacement uses a new uid, so create-before-delete is safe.
    return { changes: result.changes, replaces: result.replaces, deleteBeforeReplace: false };
  },

  async create(rawInputs) {
    const inputs = normalizeInputs(rawInputs as unknown as Record<string, unknown>);
    return { id: inputs.uid, outs: await createRgwUser(createRgwAdminClient(connectionOf(inputs)), inputs) };
  },

  async read(id, rawProps) {
    const state = normalizeState({ ...(rawProps ?? {}), uid: id });
    const refreshed = refreshState(state, await createRgwAdminClient(connectionOf(state)).getUser(id));
    return refreshed ? { id, props: refreshed } : {};
  },

  async update(_id, rawOlds, rawNews) {
    const olds = normalizeState(rawOlds as unknown as Record<string, unknown>);
    const inputs = normalizeInputs(rawNews as unknown as Record<string, unknown>);
    return { outs: await updateRgwUser(createRgwAdminClient(connectionOf(inputs)), olds, inputs) };
  },

  async delete(id, rawProps) {
    const state = normalizeState(rawProps as unknown as Record<string, unknown>);
    try {
      await createRgwAdminClient(connectionOf(state)).deleteUser(id, state.purgeDataOnDelete);
    } catch (error) {
      if (isRgwError(error, "notFound") && error.code === "NoSuchUser") return;
      if (isRgwError(error, "conflict") && error.code === "BucketAlreadyExists") {
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
        ...connectionInputs(args.connection, { accessKey: "adminAccessKey", secretKey: "adminSecretKey" }),
        uid: args.uid,
        displayName: args.displayName,
        keyRotation: args.keyRotation ?? "",
        purgeDataOnDelete: args.purgeDataOnDelete ?? false,
        adopt: args.adopt,
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
