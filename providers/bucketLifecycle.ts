/**
 * BucketLifecycle: a bucket's lifecycle rules, put through the plain S3 API by a Pulumi dynamic provider.
 *
 * Why not aws.s3.BucketLifecycleConfiguration: since hashicorp/terraform-provider-aws #41159 the
 * resource waits until `transition_default_minimum_object_size` reads back, and Ceph RGW never
 * returns that header, so every apply times out after 3 minutes (terraform-provider-aws #46021, open).
 * PutBucketLifecycleConfiguration itself works on RGW; this provider calls it directly.
 *
 * Like RgwUser, the provider object is serialized (closure capture) and run in a separate process:
 * it references only this module's pure functions, ./connection, ./errors and @aws-sdk/client-s3
 * (serialized as a require). tests/integration/rgw/bucketLifecycle.test.ts runs it serialized.
 *
 * Ownership: a bucket has one lifecycle document, shared by everyone who writes rules to it: a person
 * (rules made by hand before the stack took the bucket over, config `adopt`), and for a while two
 * resources (a resource renamed without an alias: the new one is created, then the old one deleted).
 * So every resource writes its rules with IDs ending in its own token (`<id>.<ownerToken>`, the token is
 * random, made at create and kept in the state), and never drops a rule it did not write: create, update
 * and delete read the document and write back every rule without its token, exactly as read, beside its
 * own (merge; delete removes the document only when no other rule is left). Read returns only its own
 * rules, token stripped. A state from before tokens has ownerToken "" and plain IDs: its rules are those
 * with the IDs of its state; its next update gives it a token. The read-modify-write is not atomic: a
 * rule someone adds between the read and the write of one call is lost (S3 has no conditional lifecycle
 * write); run the stack, not people, against a bucket while it changes its rules.
 *
 * Drift: read keeps every field RGW returns for one of its rules (Expiration, Transitions, tag/size
 * filters, ...), not only the fields this provider sets, so anything added by hand to them shows up as a
 * diff.
 */
import {
  DeleteBucketLifecycleCommand,
  GetBucketLifecycleConfigurationCommand,
  PutBucketLifecycleConfigurationCommand,
  S3Client,
  type LifecycleRule,
} from "@aws-sdk/client-s3";
import { randomBytes } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import {
  type BucketLifecycleRule,
  type ObservedLifecycleRule,
  OWNER_TOKEN_BYTES,
  fromS3LifecycleRules,
  lifecycleRulesProblems,
  ownedRuleId,
  toS3LifecycleConfiguration,
} from "./lifecycleRules";
import { ENDPOINT_HINT, UNKNOWN_DURING_PREVIEW, displayEndpoint, parseEndpoint, timeoutOf, type RgwConnection, type RgwConnectionArgs } from "./connection";
import {
  SUSPENDED_HINT,
  isRecord,
  isRgwError,
  isTimeout,
  networkErrorCode,
  noAnswerError,
  rgwError,
  s3ErrorKind,
  s3Failure,
  type RgwError,
  type RgwErrorKind,
} from "./errors";
import { connectionInputs } from "./resourceInputs";
import { rgwS3Client } from "./s3Client";

/** Plain inputs as the provider sees them (wire names; secrets unwrapped by the engine). */
export interface BucketLifecycleInputs {
  endpoint: string;
  region: string;
  accessKey: string;
  secretKey: string;
  /** Only present when set (RgwConnectionArgs.timeoutMs). */
  timeoutMs?: number;
  bucket: string;
  rules: BucketLifecycleRule[];
}

/** A declared rule (from the inputs) or one read back. */
export type LifecycleRuleLike = BucketLifecycleRule | ObservedLifecycleRule;

/** The connection part of the inputs. */
type S3Connection = Omit<BucketLifecycleInputs, "bucket" | "rules">;

export interface BucketLifecycleState extends Omit<BucketLifecycleInputs, "rules"> {
  rules: LifecycleRuleLike[];
  /** Suffix of the rule IDs this resource writes; "" for a state from before tokens (see the module comment). */
  ownerToken: string;
}

export interface BucketLifecycleArgs {
  /** The keys must be a user's that owns the bucket (the stack's RGW admin user). */
  connection: RgwConnectionArgs;
  bucket: pulumi.Input<string>;
  rules: pulumi.Input<BucketLifecycleRule[]>;
}

/** JSON with object keys sorted at every level: the same value gives the same text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (!isRecord(value)) return JSON.stringify(value ?? null);
  const keys = Object.keys(value)
    .filter((key) => value[key] !== undefined)
    .sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(",")}}`;
}

/**
 * Rules compared by their whole content, whatever order RGW lists them in and whatever order their keys
 * are in (rules that went through Pulumi's state have sorted keys). A field on one side only differs.
 */
export function sameRules(a: readonly LifecycleRuleLike[], b: readonly LifecycleRuleLike[]): boolean {
  if (a.length !== b.length) return false;
  const left = a.map(canonicalJson).sort();
  const right = b.map(canonicalJson).sort();
  return left.every((rule, index) => rule === right[index]);
}

/**
 * Rules read from RGW (which lists them sorted by ID) put in the order of the rules in the state,
 * unknown IDs last: a refresh of unchanged rules then shows no reordering diff.
 */
export function inStateOrder<T extends LifecycleRuleLike>(read: readonly T[], state: readonly LifecycleRuleLike[]): T[] {
  const position = (rule: T) => {
    const index = state.findIndex((candidate) => candidate.id === rule.id);
    return index < 0 ? state.length : index;
  };
  return [...read].sort((x, y) => position(x) - position(y) || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}

/** Rules read from the bucket with this owner's token taken off their IDs; other owners' IDs stay as they are. */
function withoutOwnerToken(rules: readonly ObservedLifecycleRule[], ownerToken: string): ObservedLifecycleRule[] {
  const suffix = `.${ownerToken}`;
  return rules.map((rule) => (ownerToken !== "" && rule.id.endsWith(suffix) ? { ...rule, id: rule.id.slice(0, -suffix.length) } : rule));
}

/**
 * True for a rule (by its ID on the bucket) this resource wrote: the ID carries its token (edited by hand
 * or not, it wrote it). A state from before tokens owns the rules with the IDs of its state.
 */
export function ownsRule(id: string, state: Pick<BucketLifecycleState, "rules" | "ownerToken">): boolean {
  if (state.ownerToken === "") return state.rules.some((rule) => rule.id === id);
  return id.endsWith(`.${state.ownerToken}`);
}

function newOwnerToken(): string {
  return randomBytes(OWNER_TOKEN_BYTES).toString("hex");
}

export function diffLifecycle(olds: Omit<BucketLifecycleState, "ownerToken">, news: BucketLifecycleInputs): { changes: boolean; replaces: string[] } {
  const replaces = olds.bucket !== news.bucket ? ["bucket"] : [];
  const connectionChanged =
    olds.endpoint !== news.endpoint ||
    olds.region !== news.region ||
    olds.accessKey !== news.accessKey ||
    olds.secretKey !== news.secretKey ||
    olds.timeoutMs !== news.timeoutMs;
  return { changes: replaces.length > 0 || !sameRules(olds.rules ?? [], news.rules ?? []) || connectionChanged, replaces };
}

/** What BucketLifecycle says for the S3 failures it knows, and what to check. */
const S3_ERROR_SAYS: Partial<Record<RgwErrorKind, string>> = {
  credentialsRejected: "credentials rejected — check rgwAdminAccessKey/rgwAdminSecretKey",
  accessDenied: "access denied — the key must belong to the bucket's owner (the stack's RGW admin user)",
  notFound: "the bucket does not exist",
  suspended: SUSPENDED_HINT,
};

/**
 * The RgwError for a failed S3 call: one line saying what failed, on which bucket and endpoint, the
 * answer and what to check. No stack trace, no keys. `action` is e.g. "set the lifecycle of".
 */
export function lifecycleError(action: string, bucket: string, connection: Pick<RgwConnection, "endpoint" | "timeoutMs">, error: unknown): RgwError {
  const where = `bucket "${bucket}" at ${displayEndpoint(connection.endpoint)}`;
  const { code, status, detail } = s3Failure(error);
  if (status === undefined && (isTimeout(error) || networkErrorCode(error) !== undefined)) {
    const target = `${displayEndpoint(connection.endpoint)} to ${action} bucket "${bucket}"`;
    return noAnswerError(target, displayEndpoint(connection.endpoint), error, timeoutOf(connection), ENDPOINT_HINT);
  }
  const answer = [status, code].filter((part) => part !== undefined && part !== "").join(" ");
  const said = `${answer === "" ? "failed" : answer}${detail === undefined ? "" : `: ${detail}`}`;
  const kind = s3ErrorKind({ code, status });
  const says = S3_ERROR_SAYS[kind];
  const [what, hint] = says ? says.split(" — ") : [undefined, undefined];
  const message = `cannot ${action} ${where}: ${what === undefined ? said : `${what} (${said})`}${hint === undefined ? "" : ` — ${hint}`}`;
  return rgwError(message, { kind, endpoint: displayEndpoint(connection.endpoint), status, code });
}

/** Runs one S3 command with an overall deadline, mapping failures to RgwError (kept: NoSuchLifecycleConfiguration). */
async function withClient<T>(state: S3Connection, use: (send: S3Client["send"]) => Promise<T>): Promise<T> {
  const client = rgwS3Client(state);
  const send = ((command: Parameters<S3Client["send"]>[0]) => client.send(command, { abortSignal: AbortSignal.timeout(timeoutOf(state)) })) as S3Client["send"];
  try {
    return await use(send);
  } finally {
    client.destroy();
  }
}

/**
 * The rules on the bucket as read (IDs as written; `raw`: as RGW returned them, to write back unchanged),
 * or undefined when it has no lifecycle, or "noBucket".
 */
async function rulesOnBucket(state: S3Connection, bucket: string): Promise<{ rules: ObservedLifecycleRule[]; raw: LifecycleRule[] } | "noBucket" | undefined> {
  try {
    const answer = await withClient(state, (send) => send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket })));
    return { rules: fromS3LifecycleRules(answer.Rules ?? []), raw: answer.Rules ?? [] };
  } catch (error) {
    const { code } = s3Failure(error);
    if (code === "NoSuchLifecycleConfiguration") return undefined;
    if (code === "NoSuchBucket") return "noBucket";
    throw lifecycleError("read the lifecycle of", bucket, state, error);
  }
}

/** The rules on the bucket that `owner` did not write, as RGW returned them ([] without a lifecycle or bucket). */
async function othersRules(connection: S3Connection, bucket: string, owner: Pick<BucketLifecycleState, "rules" | "ownerToken">): Promise<LifecycleRule[]> {
  const found = await rulesOnBucket(connection, bucket);
  if (found === undefined || found === "noBucket") return [];
  return found.raw.filter((rule) => !ownsRule(rule.ID ?? "", owner));
}

/** The lifecycle document for `rules` (this resource's, IDs with its token) beside `others` (kept as read); undefined: none. */
export function mergedLifecycle(
  rules: readonly BucketLifecycleRule[],
  ownerToken: string,
  others: readonly LifecycleRule[],
): { Rules: LifecycleRule[] } | undefined {
  const owned = toS3LifecycleConfiguration(rules.map((rule) => ({ ...rule, id: ownedRuleId(rule.id, ownerToken) }))).Rules as LifecycleRule[];
  const all = [...owned, ...others];
  return all.length === 0 ? undefined : { Rules: all };
}

/** Writes this resource's rules beside `others` (or removes the document when nothing is left). */
async function write(
  connection: S3Connection,
  bucket: string,
  rules: readonly BucketLifecycleRule[],
  ownerToken: string,
  others: readonly LifecycleRule[],
): Promise<void> {
  const document = mergedLifecycle(rules, ownerToken, others);
  try {
    if (document === undefined) await withClient(connection, (send) => send(new DeleteBucketLifecycleCommand({ Bucket: bucket })));
    else await withClient(connection, (send) => send(new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: document })));
  } catch (error) {
    throw lifecycleError(document === undefined ? "remove the lifecycle of" : "set the lifecycle of", bucket, connection, error);
  }
}

/** Sets the declared rules, keeping every rule `previous` (the old state, or none at create) did not write. */
async function apply(
  inputs: BucketLifecycleInputs,
  ownerToken: string,
  previous: Pick<BucketLifecycleState, "rules" | "ownerToken">,
): Promise<BucketLifecycleState> {
  await write(inputs, inputs.bucket, inputs.rules, ownerToken, await othersRules(inputs, inputs.bucket, previous));
  return { ...inputs, ownerToken };
}

/** A state as the engine hands it over (from before ownerToken: ""). */
function stateOf(props: unknown): BucketLifecycleState {
  const state = props as BucketLifecycleState;
  return { ...state, rules: state.rules ?? [], ownerToken: typeof state.ownerToken === "string" ? state.ownerToken : "" };
}

export const bucketLifecycleProvider: pulumi.dynamic.ResourceProvider<BucketLifecycleInputs, BucketLifecycleState> = {
  async check(_olds, news) {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    try {
      // An endpoint not known yet (preview) is checked at up.
      if (news.endpoint !== UNKNOWN_DURING_PREVIEW) parseEndpoint(news.endpoint);
    } catch (error) {
      failures.push({ property: "endpoint", reason: error instanceof Error ? error.message : String(error) });
    }
    // RGW would store a day count above int32 wrapped (4294967297 as 1): refuse it before anything is written.
    if (Array.isArray(news.rules)) for (const reason of lifecycleRulesProblems(news.rules)) failures.push({ property: "rules", reason });
    return failures.length === 0 ? { inputs: news } : { inputs: news, failures };
  },

  async diff(_id, olds, news) {
    const result = diffLifecycle(stateOf(olds), news);
    return { changes: result.changes, replaces: result.replaces, deleteBeforeReplace: false };
  },

  async create(inputs) {
    const ownerToken = newOwnerToken();
    // Every rule already on the bucket (made by hand, or by another resource) is kept: merge.
    return { id: inputs.bucket, outs: await apply(inputs, ownerToken, { rules: [], ownerToken }) };
  },

  async read(id, props) {
    const state = stateOf(props);
    const found = await rulesOnBucket(state, id);
    // No bucket: the resource is gone. No lifecycle: the rules were removed behind Pulumi's back; [] shows it as drift.
    if (found === "noBucket") return {};
    const own = found === undefined ? [] : found.rules.filter((rule) => state.ownerToken === "" || ownsRule(rule.id, state));
    const rules = inStateOrder(withoutOwnerToken(own, state.ownerToken), state.rules);
    return { id, props: { ...state, rules } };
  },

  async update(_id, olds, news) {
    const old = stateOf(olds);
    return { outs: await apply(news, old.ownerToken || newOwnerToken(), old) };
  },

  async delete(id, props) {
    const state = stateOf(props);
    const found = await rulesOnBucket(state, id);
    if (found === undefined || found === "noBucket") return;
    // Only this resource's rules go; another resource's (e.g. this one's renamed successor) or a person's stay.
    if (!found.raw.some((rule) => ownsRule(rule.ID ?? "", state))) return;
    try {
      await write(
        state,
        id,
        [],
        state.ownerToken,
        found.raw.filter((rule) => !ownsRule(rule.ID ?? "", state)),
      );
    } catch (error) {
      if (!isRgwError(error) || error.code !== "NoSuchBucket") throw error;
    }
  },
};

export class BucketLifecycle extends pulumi.dynamic.Resource {
  declare public readonly bucket: pulumi.Output<string>;
  declare public readonly rules: pulumi.Output<BucketLifecycleRule[]>;

  constructor(name: string, args: BucketLifecycleArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      bucketLifecycleProvider,
      name,
      {
        ...connectionInputs(args.connection, { accessKey: "accessKey", secretKey: "secretKey" }),
        bucket: args.bucket,
        rules: args.rules,
      },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["accessKey", "secretKey"] }),
      "s3",
      "BucketLifecycle",
    );
  }
}
