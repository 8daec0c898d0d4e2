// The three lists (buckets, credentials, fluxKustomizations) extend their defaults: a stack file's entry
// with a default's key changes that default's fields, an entry with a new key is added, and
// `{<key field>: x, remove: true}` drops a default (or records that an entry was removed on purpose).
// Pure: parse.ts validates the merged entries, crossChecks.ts judges them, both naming each entry's source.
import { formatPath } from "./keys";
import { show } from "./messages";

export type ListKey = "buckets" | "credentials" | "fluxKustomizations";

/** The field that identifies an entry of each list, and the field that names its earlier keys. */
export const LIST_ID: Readonly<Record<ListKey, { id: string; previous?: string }>> = {
  buckets: { id: "key", previous: "previousKeys" },
  credentials: { id: "title", previous: "previousTitles" },
  fluxKustomizations: { id: "name" },
};

/** Where an entry is in the stack file (its index there), or the default it is when the file does not name it. */
export type EntryRef = number | { default: string };

/** Where an entry's values came from. */
export type EntrySource = "default" | "stack" | "default+stack";

export interface MergedItem {
  ref: EntryRef;
  source: EntrySource;
  /** The entry as written, with the default's fields under it when it changes a default. */
  raw: unknown;
  /** Fields whose value is the default's (the stack file did not write them). */
  defaultFields: ReadonlySet<string>;
  /** The default this entry is or changes. */
  defaultId?: string;
}

export interface MergedList {
  items: MergedItem[];
  /** Ids the stack file marks `remove: true`. */
  removed: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** `data-platform:buckets[1]` or `data-platform:buckets[default warehouse]`. */
export const entryPath = (list: ListKey, ref: EntryRef, ...rest: PropertyKey[]): string => formatPath([list, ref, ...rest]);

/**
 * Merge a stack file's list into the defaults. Defaults keep their order (changed in place); new entries
 * follow in the file's order. Problems with `remove` are pushed to `errors`; everything else is left to
 * the schemas and cross-checks, which see every entry with its source.
 */
export function mergeList(list: ListKey, given: readonly unknown[] | undefined, defaults: readonly Record<string, unknown>[], errors: string[]): MergedList {
  const { id, previous } = LIST_ID[list];
  const idOf = (item: unknown): string | undefined => (isObject(item) && typeof item[id] === "string" ? item[id] : undefined);
  const fromDefaults = (entry: Record<string, unknown>): MergedItem => ({
    ref: { default: String(entry[id]) },
    source: "default",
    raw: entry,
    defaultFields: new Set(Object.keys(entry)),
    defaultId: String(entry[id]),
  });
  if (given === undefined) return { items: defaults.map(fromDefaults), removed: [] };

  const defaultIds = defaults.map((entry) => String(entry[id]));
  const dropped = new Set<string>();
  const renamed = new Set<string>();
  const removed: string[] = [];
  const changes = new Map<string, MergedItem>();
  const added: MergedItem[] = [];
  given.forEach((item, index) => {
    const itemId = idOf(item);
    if (isObject(item) && "remove" in item) {
      const { remove, ...rest } = item;
      if (remove === false) {
        item = rest;
      } else {
        if (remove !== true) errors.push(`${entryPath(list, index, "remove")}: must be true (to remove the entry) or left out, got ${show(remove)}`);
        const others = Object.keys(rest).filter((field) => field !== id);
        if (itemId === undefined) errors.push(`${entryPath(list, index)}: remove: true needs the ${id} of the entry to remove`);
        else if (others.length > 0)
          errors.push(
            `${entryPath(list, index)}: remove: true takes only ${id}, got also ${others.join(", ")}: removing ${show(itemId)} drops the whole entry`,
          );
        if (itemId !== undefined && remove === true) {
          dropped.add(itemId);
          removed.push(itemId);
        }
        return;
      }
    }
    // A rename of a default (its key in previousKeys) stands for that default: nothing is inherited.
    if (previous !== undefined && isObject(item) && Array.isArray(item[previous])) {
      for (const old of item[previous] as unknown[]) if (typeof old === "string" && defaultIds.includes(old)) renamed.add(old);
    }
    const base = itemId === undefined ? undefined : defaults.find((entry) => entry[id] === itemId);
    if (base !== undefined && isObject(item) && itemId !== undefined && !changes.has(itemId)) {
      const written = new Set(Object.keys(item));
      changes.set(itemId, {
        ref: index,
        source: "default+stack",
        raw: { ...base, ...item },
        defaultFields: new Set(Object.keys(base).filter((field) => !written.has(field))),
        defaultId: itemId,
      });
    } else {
      added.push({ ref: index, source: "stack", raw: item, defaultFields: new Set() });
    }
  });
  const items = defaults.flatMap((entry) => {
    const entryId = String(entry[id]);
    if (dropped.has(entryId)) return [];
    const changed = changes.get(entryId);
    if (changed !== undefined) return [changed];
    return renamed.has(entryId) ? [] : [fromDefaults(entry)];
  });
  return { items: [...items, ...added], removed };
}

/** One line per list: what the stack will hold and where each entry came from. */
export function describeList(list: ListKey, items: readonly { id: string; source: EntrySource }[], removed: readonly string[]): string {
  const label = { default: "default", stack: "stack file", "default+stack": "default changed by the stack file" };
  const held = items.map((item) => `${item.id} (${label[item.source]})`).join(", ");
  return `${list}: ${held === "" ? "none" : held}${removed.length > 0 ? `; removed: ${removed.join(", ")}` : ""}`;
}

/** A list entry as far as it parsed: invalid entries keep their valid fields, for the cross-checks. */
export interface Entry<T> {
  /** Its index in the stack file, or the default it is when the file does not name it. */
  index: EntryRef;
  value: Partial<T>;
  valid: boolean;
  source: EntrySource;
  /** Fields whose value is the default's. */
  defaultFields: ReadonlySet<string>;
  defaultId?: string;
}

/** What a message about a field that came from a default adds: where it came from and how to change it. */
export function defaultHint(list: ListKey, entry: Pick<Entry<unknown>, "defaultId" | "defaultFields">, field: PropertyKey | undefined): string {
  if (entry.defaultId === undefined) return "";
  if (field !== undefined && !entry.defaultFields.has(String(field))) return "";
  const id = LIST_ID[list].id;
  return ` (from the default entry ${show(entry.defaultId)}: change it with {${id}: ${entry.defaultId}, ...} in the stack file's ${list}, or drop it with {${id}: ${entry.defaultId}, remove: true})`;
}
