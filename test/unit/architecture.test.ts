import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../support/liner-process";

/**
 * The house's shape, read from the imports themselves: no file imports itself through others, the
 * rooms of src/lib stack without a circle, and the Spotify client knows nothing above it.
 */
const src = path.join(repoRoot, "src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return /\.(ts|tsx)$/.test(name) && !name.endsWith(".d.ts") ? [full] : [];
  });
}

/** Resolves an import of `from` to a file under src/, or null for packages. */
function resolve(from: string, spec: string): string | null {
  let base: string;
  if (spec.startsWith("@/")) base = path.join(src, spec.slice(2));
  else if (spec.startsWith(".")) base = path.resolve(path.dirname(from), spec);
  else return null;
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, path.join(base, "index.ts")]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // try the next form
    }
  }
  throw new Error(`${path.relative(repoRoot, from)} imports "${spec}", which does not exist`);
}

const IMPORT = /(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|import\s+["']([^"']+)["']/g;

function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(src)) {
    const text = readFileSync(file, "utf8");
    const targets = new Set<string>();
    for (const m of text.matchAll(IMPORT)) {
      const target = resolve(file, (m[1] ?? m[2] ?? m[3])!);
      if (target) targets.add(target);
    }
    graph.set(file, [...targets]);
  }
  return graph;
}

/** Strongly connected components with more than one file (or a file importing itself): the circles. */
function circles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.map((f) => path.relative(repoRoot, f)).sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

/** src/lib/<room>/… → "<room>"; anything else in src → null. */
const libRoom = (file: string) => /^lib\/([^/]+)\//.exec(path.relative(src, file).split(path.sep).join("/"))?.[1] ?? null;

function roomGraph(graph: Map<string, string[]>): Map<string, string[]> {
  const rooms = new Map<string, Set<string>>();
  for (const [file, targets] of graph) {
    const from = libRoom(file);
    if (!from) continue;
    const set = rooms.get(from) ?? new Set<string>();
    for (const t of targets) {
      const to = libRoom(t);
      if (to && to !== from) set.add(to);
    }
    rooms.set(from, set);
  }
  return new Map([...rooms].map(([k, v]) => [k, [...v]]));
}

describe("the house", () => {
  const graph = importGraph();

  it("has no import circles anywhere in src", () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(circles(graph)).toEqual([]);
  });

  it("stacks its rooms in src/lib without a circle between them", () => {
    expect(circles(roomGraph(graph))).toEqual([]);
  });

  it("keeps the Spotify client beneath everything that uses it", () => {
    const rooms = roomGraph(graph);
    const below = new Set(["config", "db", "crypto", "util"]);
    expect((rooms.get("spotify") ?? []).filter((r) => !below.has(r))).toEqual([]);
    for (const low of below) expect(rooms.get(low) ?? [], `lib/${low} imports`).not.toContain("spotify");
  });

  it("finds a circle when there is one (the check itself)", () => {
    const a = path.join(src, "a.ts");
    const b = path.join(src, "b.ts");
    expect(circles(new Map([[a, [b]], [b, [a]]]))).toEqual([["src/a.ts", "src/b.ts"]]);
  });
});
