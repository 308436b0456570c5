import path from "node:path";

/**
 * The folder Liner runs from (package.json, migrations/, .next/). The `liner` command sets
 * LINER_ROOT so it works from any directory; Next.js and tests run from the root already.
 */
export function projectRoot(): string {
  return process.env.LINER_ROOT ?? process.cwd();
}

export function migrationsDir(): string {
  return path.join(projectRoot(), "migrations");
}

/** Liner's own files (embedded database, generated keys, uploads waiting for import). */
export function dataDir(configured: string): string {
  return path.resolve(projectRoot(), configured);
}
