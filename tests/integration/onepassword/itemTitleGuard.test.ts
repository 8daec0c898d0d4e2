/**
 * ItemTitleGuard as Pulumi runs it: serialized by closure capture and evaluated in a fresh node process,
 * against the loopback Connect stand-in. A capture that only breaks after serialization fails here.
 */
import { itemTitleGuardProvider, type ItemTitleGuardInputs } from "../../../providers/itemTitleGuard";
import { fullItem, startFakeConnect, type FakeConnect } from "../../lib/fakes/connect";
import { runSerializedProvider } from "../rgw/serializedProvider";

let connect: FakeConnect;
beforeAll(async () => {
  connect = await startFakeConnect("data-platform-dev");
});
afterAll(() => connect?.close());

it("serialized, lets a free title through and refuses a hand-made item's title", async () => {
  const inputs: ItemTitleGuardInputs = {
    connectUrl: connect.url,
    token: connect.token,
    vaultUuid: connect.vaultId,
    vaultName: "data-platform-dev",
    title: "nessie-postgres",
    keep: ["password"],
  };
  const free = await runSerializedProvider<{ id: string; outs: Record<string, unknown> }>(
    itemTitleGuardProvider,
    inputs,
    "return await provider.create(inputs);",
  );
  expect(free.id).toBe(`${connect.vaultId}/nessie-postgres`);
  // The token is an input only: never in the outputs the state keeps.
  expect(free.outs).not.toHaveProperty("token");

  connect.items.push({ ...fullItem(connect.vaultId, { title: "nessie-postgres", category: "DATABASE", builtin: { password: "hand-typed" } }), tags: [] });
  const taken = await runSerializedProvider<{ message: string }>(
    itemTitleGuardProvider,
    inputs,
    `try { await provider.create(inputs); return { message: "created" }; } catch (error) { return { message: error.message }; }`,
  );
  expect(taken.message).toContain(
    `1Password item "nessie-postgres" already exists in vault data-platform-dev (item ${connect.items[0].id}; not written by this stack)`,
  );
  expect(taken.message).toContain(
    `add data-platform:adopt.items.nessie-postgres: {id: vaults/${connect.vaultId}/items/${connect.items[0].id}, keep: [password]}`,
  );
});
