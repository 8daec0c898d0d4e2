/**
 * The real Pulumi engine (built by .ci/pulumi-engine.sh, on PATH) runs an inline program with a dynamic
 * provider: up, preview with no changes, a secret input stored only as ciphertext, destroy. Fails (never
 * skips) when the engine is not on PATH: CI always builds it.
 */
import * as pulumi from "@pulumi/pulumi";
import { createEngineStack, expectedEngineVersion, findEngine, type EngineStack } from "./engineHarness";

const PLAINTEXT = `smoke-secret-${process.pid}-${Date.now()}`;

interface NoteInputs {
  text: string;
  password: string;
}

// Serialized by the engine's closure capture and run in the dynamic provider process.
const noteProvider: pulumi.dynamic.ResourceProvider<NoteInputs, NoteInputs> = {
  async create(inputs) {
    return { id: `note-${inputs.text}`, outs: inputs };
  },
  async diff(_id, olds, news) {
    return { changes: olds.text !== news.text || olds.password !== news.password, replaces: olds.text !== news.text ? ["text"] : [] };
  },
  async delete() {},
};

class Note extends pulumi.dynamic.Resource {
  declare readonly text: pulumi.Output<string>;
  constructor(name: string, args: { text: pulumi.Input<string>; password: pulumi.Input<string> }, opts?: pulumi.CustomResourceOptions) {
    super(noteProvider, name, { ...args }, opts);
  }
}

class Notes extends pulumi.ComponentResource {
  readonly note: Note;
  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super("enginetest:smoke:Notes", name, {}, opts);
    this.note = new Note(`${name}-note`, { text: "hello", password: pulumi.secret(PLAINTEXT) }, { parent: this });
    this.registerOutputs({});
  }
}

let engine: EngineStack | undefined;

afterAll(async () => {
  await engine?.cleanup();
});

test("the engine on PATH is the one .ci/pulumi-engine.sh builds", async () => {
  const found = await findEngine();
  expect(found.version).toBe(expectedEngineVersion());
});

test("up, preview without changes, secrets stored encrypted, destroy", async () => {
  engine = await createEngineStack({
    program: async () => {
      const notes = new Notes("smoke");
      return { noteId: notes.note.id, text: notes.note.text };
    },
  });

  const up = await engine.up();
  expect(up.summary.result).toBe("succeeded");
  expect(up.summary.resourceChanges).toEqual({ create: 3 }); // stack, component, dynamic resource
  expect(up.outputs.noteId.value).toBe("note-hello");
  expect(up.outputs.text.value).toBe("hello");

  const preview = await engine.preview({ expectNoChanges: true });
  expect(preview.changeSummary).toEqual({ same: 3 });

  const exported = await engine.exportStack();
  const note = exported.deployment.resources?.find((resource) => resource.type === "pulumi-nodejs:dynamic:Resource");
  expect(note?.id).toBe("note-hello");
  expect(note?.parent).toMatch(/enginetest:smoke:Notes::smoke$/);
  // Pulumi's secret signature, with ciphertext only.
  expect(note?.outputs?.password).toEqual({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: expect.any(String) });
  expect(await engine.exportStackText()).not.toContain(PLAINTEXT);
  expect(engine.stateFileText()).not.toContain(PLAINTEXT);
  expect(exported.deployment.secrets_providers?.type).toBe("passphrase");

  const destroy = await engine.destroy();
  expect(destroy.summary.result).toBe("succeeded");
  expect(destroy.summary.resourceChanges).toEqual({ delete: 3 });
  expect((await engine.exportStack()).deployment.resources ?? []).toEqual([]);
  expect(engine.lockFiles()).toEqual([]);
});
