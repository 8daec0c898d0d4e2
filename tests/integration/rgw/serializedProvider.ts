// Runs a dynamic provider the way Pulumi does: serialized by closure capture, then loaded from that text
// in a separate node process. Bugs that only show after serialization (lost Error subclasses, Sets turned
// into plain objects, unresolvable captures) fail here.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import * as pulumi from "@pulumi/pulumi";

const REPO_ROOT = join(__dirname, "..", "..", "..");

/**
 * `body` is the inside of an async function with `provider` and `inputs` in scope; what it returns
 * comes back as JSON.
 */
export async function runSerializedProvider<T>(provider: object, inputs: object, body: string, env: Record<string, string> = {}): Promise<T> {
  // What pulumi.dynamic.Resource does: serializeFunction(() => provider, { allowSecrets: true }).
  const serialized = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
  const workDir = mkdtempSync(join(tmpdir(), "serialized-provider-"));
  const providerFile = join(workDir, "provider.js");
  writeFileSync(providerFile, serialized.text);
  // Loaded like Pulumi's dynamic-provider host: require-from-string(text).handler().
  const driver = `
    const provider = require("require-from-string")(require("fs").readFileSync(process.env.PROVIDER_FILE, "utf8")).handler();
    const inputs = JSON.parse(process.env.INPUTS);
    (async () => { ${body} })()
      .then((result) => process.stdout.write(JSON.stringify(result)))
      .catch((error) => { console.error(String((error && error.stack) || error)); process.exit(1); });
  `;
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ["-e", driver], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env, PROVIDER_FILE: providerFile, INPUTS: JSON.stringify(inputs) },
      timeout: 60_000,
    });
    return JSON.parse(stdout) as T;
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}
