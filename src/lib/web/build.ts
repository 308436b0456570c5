import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

const SOURCES = ["src", "next.config.ts", "package.json", "tsconfig.json"];

function newestMtime(p: string): number {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, entry)));
  return newest;
}

/** True when there is no production build, or a source file changed after it was made. */
export function webBuildIsStale(root: string): boolean {
  const buildId = path.join(root, ".next", "BUILD_ID");
  if (!existsSync(buildId)) return true;
  const built = statSync(buildId).mtimeMs;
  return SOURCES.some((s) => newestMtime(path.join(root, s)) > built);
}

/** Builds the web app with `next build` when needed, so `npm start` works on a fresh clone. */
export async function ensureWebBuild(root: string, log: (line: string) => void): Promise<void> {
  if (!webBuildIsStale(root)) return;
  log("Building the web app (first start, or the sources changed) …");
  const started = Date.now();
  const nextBin = path.join(root, "node_modules", "next", "dist", "bin", "next");
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [nextBin, "build"], {
      cwd: root,
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
    });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`next build failed (exit ${code}); see the output above.`)),
    );
  });
  log(`Web app built in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
}
