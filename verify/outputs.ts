// The stack outputs verify reads (index.ts returns them): references only, never secret values.
import { z } from "zod";

const itemReference = z.object({
  title: z.string(),
  vault: z.string(),
  category: z.string(),
  fields: z.array(z.string()),
  kubernetesSecret: z.string(),
});

const outputsSchema = z.object({
  environment: z.string(),
  s3Endpoint: z.string(),
  buckets: z.record(z.string(), z.string()),
  /** `registry/repo@sha256:...` when pushed; absent or a local image ID when not. */
  sparkIcebergImage: z.string().optional(),
  onepasswordItems: z.array(itemReference).default([]),
  fluxDeployKeyPublic: z.string().nullable().optional(),
  fluxKustomizations: z.array(z.string()).default([]),
  gitopsManifests: z.array(z.unknown()).default([]),
});

export type StackOutputs = z.output<typeof outputsSchema>;
export type ItemReferenceOutput = z.output<typeof itemReference>;

export type OutputsResult = { ok: true; outputs: StackOutputs } | { ok: false; error: string };

/** Parse `pulumi stack output --json` (or a file of the same JSON). */
export function parseStackOutputs(json: unknown): OutputsResult {
  const result = outputsSchema.safeParse(json);
  if (result.success) return { ok: true, outputs: result.data };
  const problems = result.error.issues.map((issue) => `${issue.path.join(".") || "(outputs)"}: ${issue.message}`);
  return { ok: false, error: `stack outputs are not what index.ts exports: ${problems.join("; ")}` };
}
