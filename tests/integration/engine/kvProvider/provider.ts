/**
 * A test-only native Pulumi provider `kvtest` (resource `kvtest:index:Entry`), run by the real engine as the
 * plugin `pulumi-resource-kvtest` (see ./plugin.ts, which writes that launcher). It stands in for a bridged
 * provider (aws, 1Password) whose plugin cannot be had here: unlike a dynamic provider it supports `import`
 * (its Read returns inputs), so the engine's import semantics the adoption design relies on can be run.
 *
 * An entry is `key -> value` in a JSON file (KVTEST_STORE); the id is the key. Changing `key` forces a
 * replacement, `value` is updated in place. Create refuses a key that exists (like a provider that checks),
 * Read of a missing key answers "not found". Every call that writes is appended to KVTEST_LOG, so a test can
 * say that nothing was written.
 */
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import * as provider from "@pulumi/pulumi/provider";

interface EntryInputs {
  key: string;
  value: string;
}

const storeFile = (): string => {
  const file = process.env.KVTEST_STORE;
  if (!file) throw new Error("KVTEST_STORE is not set");
  return file;
};

function load(): Record<string, string> {
  const file = storeFile();
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, string>) : {};
}

function save(store: Record<string, string>): void {
  const file = storeFile();
  writeFileSync(`${file}.tmp`, JSON.stringify(store, null, 2));
  renameSync(`${file}.tmp`, file);
}

function log(line: string): void {
  if (process.env.KVTEST_LOG) appendFileSync(process.env.KVTEST_LOG, `${line}\n`);
}

const entry = (value: unknown): EntryInputs => {
  const fields = (value ?? {}) as Partial<EntryInputs>;
  return { key: String(fields.key ?? ""), value: String(fields.value ?? "") };
};

const kvProvider: provider.Provider = {
  version: "0.0.1",

  async check(_urn, _olds, news) {
    const inputs = entry(news);
    return inputs.key === "" ? { inputs: news, failures: [{ property: "key", reason: "key is required" }] } : { inputs };
  },

  // `changes` left unknown: the engine then computes the changed keys and the detailed diff from the inputs,
  // so `pulumi preview --json` carries diffReasons and detailedDiff as it does for bridged providers.
  async diff(_id, _urn, olds, news) {
    return { replaces: entry(olds).key !== entry(news).key ? ["key"] : [] };
  },

  async create(_urn, inputs) {
    const { key, value } = entry(inputs);
    const store = load();
    if (key in store) throw new Error(`entry ${key} already exists`);
    store[key] = value;
    save(store);
    log(`create ${key}`);
    return { id: key, outs: { key, value } };
  },

  async read(id) {
    const store = load();
    // No id: the engine reports "does not exist" (an import of a missing entry fails).
    if (!(id in store)) return { id: "", props: {} };
    const live = { key: id, value: store[id] };
    return { id, props: live, inputs: live };
  },

  async update(id, _urn, _olds, news) {
    const { value } = entry(news);
    const store = load();
    store[id] = value;
    save(store);
    log(`update ${id}`);
    return { outs: { key: id, value } };
  },

  async delete(id) {
    const store = load();
    delete store[id];
    save(store);
    log(`delete ${id}`);
  },
};

void provider.main(kvProvider, process.argv.slice(2));
