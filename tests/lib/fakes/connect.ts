// A small loopback stand-in for a 1Password Connect server: the three GET endpoints verify uses, with
// bearer-token auth, answering in the shapes of the Connect API 1.x OpenAPI document (Vault, Item,
// FullItem, ErrorResponse). Items are held as FullItem JSON and can be changed between runs.
import { createServer, type Server } from "node:http";
import { randomBytes } from "node:crypto";

/** A Connect FullItem as GET /v1/vaults/{vaultUuid}/items/{itemUuid} returns it. */
export interface FullItem {
  id: string;
  title: string;
  version: number;
  vault: { id: string };
  category: string;
  tags: string[];
  lastEditedBy: string;
  createdAt: string;
  updatedAt: string;
  sections: { id: string; label: string }[];
  fields: { id: string; type: string; purpose?: string; label: string; value?: string; section?: { id: string }; entropy?: number }[];
}

/** Connect ids: 26 lowercase letters and digits. */
export const connectId = (): string => randomBytes(16).toString("hex").slice(0, 26);

const TIMESTAMP = "2026-11-29T10:00:00.000000Z";

export interface ItemSpec {
  title: string;
  category: "LOGIN" | "DATABASE" | "PASSWORD";
  /** Built-in fields by label (username/password get their purpose, like the 1Password provider writes them). */
  builtin: Record<string, string>;
  /** Fields of sections, by section label. */
  sections?: Record<string, Record<string, string>>;
}

/** An item in the shape the Terraform-bridged provider leaves behind (as Connect returns it). */
export function fullItem(vaultId: string, spec: ItemSpec): FullItem {
  const sections = Object.keys(spec.sections ?? {}).map((label) => ({ id: connectId(), label }));
  const builtin = Object.entries(spec.builtin).map(([label, value]) => ({
    id: label,
    type: label === "password" ? "CONCEALED" : "STRING",
    ...(label === "username" ? { purpose: "USERNAME" } : label === "password" ? { purpose: "PASSWORD", entropy: 190.5 } : {}),
    label,
    value,
  }));
  const notes = { id: "notesPlain", type: "STRING", purpose: "NOTES", label: "notesPlain" };
  const sectioned = sections.flatMap((section) =>
    Object.entries(spec.sections?.[section.label] ?? {}).map(([label, value]) => ({
      id: connectId(),
      section: { id: section.id },
      type: label === "endpoint" ? "URL" : "STRING",
      label,
      value,
    })),
  );
  return {
    id: connectId(),
    title: spec.title,
    version: 1,
    vault: { id: vaultId },
    category: spec.category,
    tags: ["data-platform", "managed-by-pulumi"],
    lastEditedBy: "TFPROVIDER0000000000000000",
    createdAt: TIMESTAMP,
    updatedAt: TIMESTAMP,
    sections,
    fields: [...builtin, notes, ...sectioned],
  };
}

export interface FakeConnect {
  url: string;
  token: string;
  vaultId: string;
  items: FullItem[];
  /** Requests seen, as `METHOD path?query`. */
  requests: string[];
  close(): Promise<void>;
}

const summary = (item: FullItem) => {
  const { sections: _sections, fields: _fields, ...rest } = item;
  void _sections;
  void _fields;
  return rest;
};

export async function startFakeConnect(vaultName: string, items: (vaultId: string) => FullItem[] = () => []): Promise<FakeConnect> {
  const token = randomBytes(12).toString("hex");
  const vaultId = connectId();
  const state: FakeConnect = { url: "", token, vaultId, items: items(vaultId), requests: [], close: async () => undefined };
  const vault = {
    id: vaultId,
    name: vaultName,
    attributeVersion: 1,
    contentVersion: 4,
    items: 0,
    type: "USER_CREATED",
    createdAt: TIMESTAMP,
    updatedAt: TIMESTAMP,
  };
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://fake");
    state.requests.push(`${request.method} ${url.pathname}${url.search}`);
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { "Content-Type": "application/json" });
      response.end(JSON.stringify(body));
    };
    if (request.headers.authorization !== `Bearer ${token}`) return send(401, { status: 401, message: "Invalid token signature" });
    if (request.method !== "GET") return send(405, { status: 405, message: "method not allowed" });
    const parts = url.pathname.split("/").filter(Boolean);
    if (parts.length === 2 && parts[0] === "v1" && parts[1] === "vaults") return send(200, [{ ...vault, items: state.items.length }]);
    if (parts[0] !== "v1" || parts[1] !== "vaults") return send(404, { status: 404, message: "not found" });
    if (parts[2] !== vaultId) return send(404, { status: 404, message: `vault ${parts[2]} not found` });
    if (parts.length === 4 && parts[3] === "items") {
      const filter = url.searchParams.get("filter");
      const title = filter === null ? undefined : /^title eq "(.*)"$/.exec(filter)?.[1];
      if (filter !== null && title === undefined) return send(400, { status: 400, message: "Invalid filter" });
      return send(200, state.items.filter((i) => title === undefined || i.title === title).map(summary));
    }
    if (parts.length === 5 && parts[3] === "items") {
      const item = state.items.find((i) => i.id === parts[4]);
      return item ? send(200, item) : send(404, { status: 404, message: `item ${parts[4]} not found` });
    }
    return send(404, { status: 404, message: "not found" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  state.url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  state.close = () => new Promise((resolve) => server.close(() => resolve()));
  return state;
}
