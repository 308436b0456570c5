import { readFileSync } from "node:fs";
import path from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { parse } from "yaml";
import { repoRoot } from "./liner-process";

/** The Web API's OpenAPI document, vendored with its licence (see the README beside it). */
export const openApiPath = path.resolve(repoRoot, "test/spotify-sim/openapi/spotify-web-api.yml");

/** OpenAPI 3.0's `nullable: true` as JSON Schema: the type also admits null. */
function toJsonSchema(node: unknown, dropRequired: Set<string>): unknown {
  if (Array.isArray(node)) return node.map((n) => toJsonSchema(n, dropRequired));
  if (!node || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "nullable" || k === "example" || k === "deprecated" || k.startsWith("x-")) continue;
    out[k] = toJsonSchema(v, dropRequired);
  }
  const n = node as Record<string, unknown>;
  if (n.nullable === true) {
    if (typeof n.type === "string") out.type = [n.type, "null"];
    else if (!n.type) return { anyOf: [out, { type: "null" }] };
  }
  if (Array.isArray(out.required)) out.required = (out.required as string[]).filter((r) => !dropRequired.has(r));
  return out;
}

/**
 * Validators for the Web API's schemas (test/spotify-sim/openapi/spotify-web-api.yml). `dropRequired` names the
 * fields a development-mode app no longer gets (the document predates that change).
 */
export function openApiValidator(dropRequired: string[] = []): (schema: string) => ValidateFunction {
  const doc = parse(readFileSync(openApiPath, "utf8")) as { components: { schemas: Record<string, unknown> } };
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: "spotify", components: { schemas: toJsonSchema(doc.components.schemas, new Set(dropRequired)) } });
  const cache = new Map<string, ValidateFunction>();
  return (schema) => {
    let v = cache.get(schema);
    if (!v) {
      v = ajv.getSchema(`spotify#/components/schemas/${schema}`);
      if (!v) throw new Error(`no schema ${schema} in ${path.basename(openApiPath)}`);
      cache.set(schema, v);
    }
    return v;
  };
}
