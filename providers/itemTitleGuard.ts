/**
 * ItemTitleGuard: the lookup that runs before the stack creates a 1Password item, so that it never creates
 * one whose title is already taken in the vault. 1Password allows two items with one title, and External
 * Secrets then fails every ExternalSecret reading that title ("expected one 1Password Item matching"):
 * the running services' Secrets stop refreshing. A hand-built item must be adopted instead (config
 * `adopt.items`), which imports it and declares no guard.
 *
 * A dynamic provider (serialized like RgwUser: only this module's functions and fetch): its create asks
 * 1Password Connect for the items with the title (`GET /v1/vaults/{vault}/items?filter=title eq "..."`)
 * and fails naming the item and the adopt entry to add when one exists that the stack did not write (it
 * lacks the stack's `managed-by-pulumi` tag), or when more than one does. One item with the stack's tag is
 * the stack's own (a stack that had the item before this guard existed gets the guard created later).
 * The Item depends on the guard, so a failed guard stops the run before the Item is created. Create runs
 * once per guard: later runs make no call. Connect mode only (service accounts have no HTTP API here).
 */
import * as pulumi from "@pulumi/pulumi";

/** Inputs as the provider sees them (the token unwrapped by the engine). */
export interface ItemTitleGuardInputs {
  connectUrl: string;
  token: string;
  vaultUuid: string;
  /** The vault as config names it, for messages. */
  vaultName: string;
  title: string;
  /** The fields an adopt entry for this item must keep (password; username too for s3 items). */
  keep: string[];
  /** Default 30 s. */
  timeoutMs?: number;
}

export interface ItemTitleGuardArgs {
  /** The Connect URL the stack reaches (not the cluster's). */
  connectUrl: pulumi.Input<string>;
  /** Connect token; always a secret. */
  token: pulumi.Input<string>;
  vaultUuid: pulumi.Input<string>;
  vaultName: pulumi.Input<string>;
  title: pulumi.Input<string>;
  keep: pulumi.Input<string[]>;
  timeoutMs?: number;
}

/** An item as Connect lists it (the fields the guard reads). */
export interface ExistingItem {
  id: string;
  title: string;
  tags: string[];
}

/** The tag that marks an item the stack wrote (one of ITEM_TAGS; repeated here: the provider is serialized). */
export const MANAGED_ITEM_TAG = "managed-by-pulumi";

/** The error for items already holding `title`, or undefined when the stack may create (or already has) its item. */
export function titleProblem(
  inputs: Pick<ItemTitleGuardInputs, "title" | "vaultUuid" | "vaultName" | "keep">,
  items: readonly ExistingItem[],
): string | undefined {
  const same = items.filter((item) => item.title === inputs.title);
  const foreign = same.filter((item) => !item.tags.includes(MANAGED_ITEM_TAG));
  if (foreign.length === 0 && same.length <= 1) return undefined;
  const found = foreign[0] ?? same[0];
  const which = same.length > 1 ? `${same.length} items have this title` : "not written by this stack";
  return (
    `1Password item "${inputs.title}" already exists in vault ${inputs.vaultName} (item ${found.id}; ${which}): the stack does not create a second item with this title` +
    ` (External Secrets fails on duplicate titles). Take it over: add data-platform:adopt.items.${inputs.title}: {id: vaults/${inputs.vaultUuid}/items/${found.id}, keep: [${inputs.keep.join(", ")}]}` +
    ` (npm run adopt -- plan prints it; docs/adoption.md), or rename or remove the existing item`
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** Connect's item list (summaries) in the guard's shape. */
export function parseItemList(json: unknown): ExistingItem[] {
  if (!Array.isArray(json)) throw new Error(`1Password Connect answered the item list with ${typeof json}, not a list`);
  return json.filter(isRecord).map((item) => ({
    id: typeof item.id === "string" ? item.id : "",
    title: typeof item.title === "string" ? item.title : "",
    tags: Array.isArray(item.tags) ? item.tags.filter((tag): tag is string => typeof tag === "string") : [],
  }));
}

/** The items of the vault titled `title`, from Connect. Errors name the URL (never the token). */
export async function itemsTitled(inputs: Pick<ItemTitleGuardInputs, "connectUrl" | "token" | "vaultUuid" | "title" | "timeoutMs">): Promise<ExistingItem[]> {
  const base = inputs.connectUrl.replace(/\/+$/, "");
  const filter = encodeURIComponent(`title eq "${inputs.title}"`);
  const url = `${base}/v1/vaults/${encodeURIComponent(inputs.vaultUuid)}/items?filter=${filter}`;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { Authorization: `Bearer ${inputs.token}`, Accept: "application/json" },
      signal: AbortSignal.timeout(inputs.timeoutMs ?? 30_000),
    });
  } catch (error) {
    const cause =
      isRecord(error) && isRecord(error.cause) && typeof error.cause.code === "string" ? error.cause.code : error instanceof Error ? error.name : String(error);
    throw new Error(
      `cannot look up 1Password item "${inputs.title}" before creating it: no answer from Connect at ${base} (${cause}); check onepasswordConnectUrl`,
    );
  }
  const text = await response.text();
  if (!response.ok) {
    const hint =
      response.status === 401
        ? " (check onepasswordToken)"
        : response.status === 403 || response.status === 404
          ? " (the token has no access to this vault)"
          : "";
    throw new Error(`cannot look up 1Password item "${inputs.title}" before creating it: Connect at ${base} answered ${response.status}${hint}`);
  }
  return parseItemList(text.trim() === "" ? [] : (JSON.parse(text) as unknown));
}

export const itemTitleGuardProvider: pulumi.dynamic.ResourceProvider<ItemTitleGuardInputs, Omit<ItemTitleGuardInputs, "token">> = {
  async diff(_id, olds, news) {
    // A new title or vault is a new lookup.
    const replaces = (["title", "vaultUuid"] as const).filter((key) => olds[key] !== news[key]);
    return { changes: replaces.length > 0 || olds.connectUrl !== news.connectUrl || olds.vaultName !== news.vaultName, replaces, deleteBeforeReplace: false };
  },

  async create(inputs) {
    const problem = titleProblem(inputs, await itemsTitled(inputs));
    if (problem !== undefined) throw new Error(problem);
    const { token: _token, ...outs } = inputs;
    void _token;
    return { id: `${inputs.vaultUuid}/${inputs.title}`, outs };
  },

  async update(_id, _olds, news) {
    const { token: _token, ...outs } = news;
    void _token;
    return { outs };
  },
};

export class ItemTitleGuard extends pulumi.dynamic.Resource {
  constructor(name: string, args: ItemTitleGuardArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      itemTitleGuardProvider,
      name,
      {
        connectUrl: args.connectUrl,
        token: pulumi.secret(args.token),
        vaultUuid: args.vaultUuid,
        vaultName: args.vaultName,
        title: args.title,
        keep: args.keep,
        ...(args.timeoutMs !== undefined && { timeoutMs: args.timeoutMs }),
      },
      opts,
      "onepassword",
      "ItemTitleGuard",
    );
  }
}
