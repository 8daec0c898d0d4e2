// 1Password through the Connect API (GET /v1/vaults, /v1/vaults/{id}/items?filter=title eq "...",
// /v1/vaults/{id}/items/{id}): every item the ExternalSecrets read exists once, with the fields they
// reference. The s3 items' keys are handed to the RGW probes, as the apps would get them.
import { S3_SECTION_LABEL } from "../components/credentials/items";
import { networkErrorCode } from "../providers/errors";
import { type CheckResult, errorText, failure, notChecked, pass } from "./checks";
import { type Bounded, Deadlines, isNoAnswer } from "./deadline";
import type { ExpectedItem, ExpectedOnePassword } from "./expected";
import type { S3Keys } from "./rgw";

// ---------------------------------------------------------------------------------------------
// Pure: response shapes (Connect API 1.x: Vault, Item, FullItem) and the comparison.

export interface ConnectVault {
  id: string;
  name: string;
}

export interface ConnectItemSummary {
  id: string;
  title: string;
  category: string;
}

export interface ConnectField {
  id: string;
  label: string;
  value?: string;
  purpose?: string;
  type?: string;
  sectionId?: string;
}

export interface ConnectItem extends ConnectItemSummary {
  fields: ConnectField[];
  sections: { id: string; label: string }[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

function list(json: unknown, what: string): Record<string, unknown>[] {
  if (!Array.isArray(json) || !json.every(isRecord)) throw new Error(`Connect API: ${what} is not an array of objects`);
  return json;
}

export function parseVaults(json: unknown): ConnectVault[] {
  return list(json, "GET /v1/vaults").map((v) => ({ id: str(v.id) ?? "", name: str(v.name) ?? "" }));
}

export function parseItemSummaries(json: unknown): ConnectItemSummary[] {
  // Connect answers an empty filter result with [] (some versions with null).
  if (json === null) return [];
  return list(json, "GET /v1/vaults/{id}/items").map((i) => ({ id: str(i.id) ?? "", title: str(i.title) ?? "", category: str(i.category) ?? "" }));
}

export function parseItem(json: unknown): ConnectItem {
  if (!isRecord(json)) throw new Error("Connect API: item is not an object");
  const fields = (Array.isArray(json.fields) ? json.fields : []).filter(isRecord).map((f): ConnectField => {
    const section = isRecord(f.section) ? str(f.section.id) : undefined;
    return {
      id: str(f.id) ?? "",
      label: str(f.label) ?? "",
      ...(str(f.value) !== undefined && { value: str(f.value) }),
      ...(str(f.purpose) !== undefined && { purpose: str(f.purpose) }),
      ...(str(f.type) !== undefined && { type: str(f.type) }),
      ...(section !== undefined && { sectionId: section }),
    };
  });
  const sections = (Array.isArray(json.sections) ? json.sections : []).filter(isRecord).map((s) => ({ id: str(s.id) ?? "", label: str(s.label) ?? "" }));
  return { id: str(json.id) ?? "", title: str(json.title) ?? "", category: str(json.category) ?? "", fields, sections };
}

export function vaultCheck(vault: string, vaults: readonly ConnectVault[]): { result: CheckResult; id?: string } {
  const base = { system: "onepassword" as const, subject: `vault ${vault}`, check: "exists" };
  const matches = vaults.filter((v) => v.name === vault);
  if (matches.length === 1) return { result: pass(base, matches[0].id), id: matches[0].id };
  return {
    result: failure(
      base,
      "exactly one vault with that name",
      matches.length === 0 ? `none (the token sees: ${vaults.map((v) => v.name).join(", ") || "no vaults"})` : `${matches.length} vaults`,
    ),
  };
}

/** External Secrets' Connect provider finds the item by title and the field by label, in any section. */
export function itemChecks(expected: ExpectedItem, found: readonly ConnectItemSummary[], item: ConnectItem | undefined): CheckResult[] {
  const base = (check: string) => ({ system: "onepassword" as const, subject: `item ${expected.title}`, check });
  const same = found.filter((i) => i.title === expected.title);
  if (same.length === 0) return [failure(base("exists"), "one item with this title", "no such item")];
  if (same.length > 1) return [failure(base("exists"), "one item with this title (External Secrets refuses duplicates)", `${same.length} items`)];
  if (!item) return [failure(base("exists"), "item details", "not returned")];
  const results = [pass(base("exists"), item.id)];
  results.push(item.category === expected.category ? pass(base("category"), item.category) : failure(base("category"), expected.category, item.category));
  for (const field of expected.fields) {
    const check = base(`field ${field.label}`);
    const matches = item.fields.filter((f) => f.label === field.label);
    if (matches.length === 0) {
      results.push(
        failure(
          check,
          "present (an ExternalSecret reads it)",
          `missing (labels: ${item.fields
            .map((f) => f.label)
            .filter(Boolean)
            .join(", ")})`,
        ),
      );
      continue;
    }
    if (matches.length > 1) {
      results.push(failure(check, "exactly one field with this label", `${matches.length} fields`));
      continue;
    }
    const [f] = matches;
    const sectionLabel = item.sections.find((s) => s.id === f.sectionId)?.label;
    const known = expected.values[field.label];
    if (f.value === undefined || f.value === "") results.push(failure(check, "a value", "empty"));
    else if (field.placement === "section" && sectionLabel !== S3_SECTION_LABEL)
      results.push(failure(check, `in section ${S3_SECTION_LABEL}`, sectionLabel ? `in section ${sectionLabel}` : "in no section"));
    else if (known !== undefined && f.value !== known) results.push(failure(check, JSON.stringify(known), JSON.stringify(f.value)));
    else results.push(pass(check, known !== undefined ? JSON.stringify(known) : field.concealed ? "set (concealed)" : "set"));
  }
  return results;
}

/** The S3 keys an s3 item holds (access key = username, secret key = password). */
export function itemS3Keys(item: ConnectItem): S3Keys | undefined {
  const value = (label: string) =>
    item.fields.find((f) => f.label === label && f.sectionId === undefined)?.value ?? item.fields.find((f) => f.label === label)?.value;
  const accessKey = value("username");
  const secretKey = value("password");
  return accessKey && secretKey ? { accessKey, secretKey } : undefined;
}

// ---------------------------------------------------------------------------------------------
// I/O

export interface ConnectClient {
  vaults(): Promise<ConnectVault[]>;
  itemsByTitle(vaultId: string, title: string): Promise<ConnectItemSummary[]>;
  item(vaultId: string, itemId: string): Promise<ConnectItem>;
}

/** How verify names the Connect server when it does not answer, and where its address comes from. */
export const connectSystem = (host: string): string => `1Password Connect at ${host.replace(/\/+$/, "")}`;
export const CONNECT_HOST_HINT = "check OP_CONNECT_HOST or config onepasswordConnectUrl";

export function createConnectClient(
  host: string,
  token: string,
  fetchImpl: typeof fetch = fetch,
  bounded: Bounded = new Deadlines().for(connectSystem(host), CONNECT_HOST_HINT),
): ConnectClient {
  const base = host.replace(/\/+$/, "");
  const get = (path: string): Promise<unknown> => bounded(`GET ${path.split("?")[0]}`, (signal) => send(path, signal));
  const send = async (path: string, signal: AbortSignal): Promise<unknown> => {
    let response: Response;
    let text: string;
    try {
      response = await fetchImpl(`${base}${path}`, { headers: { Authorization: `Bearer ${token}`, Accept: "application/json" }, signal });
      text = await response.text();
    } catch (error) {
      if (isNoAnswer(error) || signal.aborted) throw error;
      throw new Error(`cannot reach 1Password Connect at ${base}: ${networkErrorCode(error) ?? errorText(error)} — ${CONNECT_HOST_HINT}`);
    }
    if (!response.ok) {
      let message = text.slice(0, 200);
      try {
        const parsed = JSON.parse(text) as { message?: unknown };
        if (typeof parsed.message === "string") message = parsed.message;
      } catch {
        // not JSON: keep the text
      }
      const hint =
        response.status === 401
          ? " (check OP_CONNECT_TOKEN or the stack's onepasswordToken)"
          : response.status === 403
            ? " (the token has no access to this vault)"
            : "";
      throw new Error(`1Password Connect ${path.split("?")[0]}: ${response.status} ${message}${hint}`);
    }
    return text.trim() === "" ? null : (JSON.parse(text) as unknown);
  };
  return {
    vaults: async () => parseVaults(await get("/v1/vaults")),
    itemsByTitle: async (vaultId, title) =>
      parseItemSummaries(await get(`/v1/vaults/${encodeURIComponent(vaultId)}/items?filter=${encodeURIComponent(`title eq "${title}"`)}`)),
    item: async (vaultId, itemId) => parseItem(await get(`/v1/vaults/${encodeURIComponent(vaultId)}/items/${encodeURIComponent(itemId)}`)),
  };
}

export interface OnePasswordResult {
  checks: CheckResult[];
  /** Per app, the keys its s3 item holds. */
  appKeys: Record<string, { title: string; keys: S3Keys }>;
}

export async function verifyOnePassword(expected: ExpectedOnePassword, client: ConnectClient): Promise<OnePasswordResult> {
  const appKeys: OnePasswordResult["appKeys"] = {};
  let vaultId: string | undefined;
  try {
    const vault = vaultCheck(expected.vault, await client.vaults());
    vaultId = vault.id;
    if (!vaultId) return { checks: [vault.result], appKeys };
    const checks = [vault.result];
    for (const item of expected.items) {
      try {
        const summaries = await client.itemsByTitle(vaultId, item.title);
        const same = summaries.filter((s) => s.title === item.title);
        const full = same.length === 1 ? await client.item(vaultId, same[0].id) : undefined;
        checks.push(...itemChecks(item, summaries, full));
        const keys = full && item.app ? itemS3Keys(full) : undefined;
        if (item.app && keys && !appKeys[item.app]) appKeys[item.app] = { title: item.title, keys };
      } catch (error) {
        checks.push(notChecked({ system: "onepassword", subject: `item ${item.title}`, check: "read" }, errorText(error)));
      }
    }
    return { checks, appKeys };
  } catch (error) {
    return { checks: [notChecked({ system: "onepassword", subject: `vault ${expected.vault}`, check: "read" }, errorText(error))], appKeys };
  }
}
