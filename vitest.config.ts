import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    alias: { "@": fileURLToPath(new URL("./src", import.meta.url)) },
  },
  test: {
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    // The pg_cron recipe needs pg_cron preloaded in a real server: .ci/run sets that up and runs it.
    // test/real-exports reads the workshop folder ../shared: only `npm run test:real-exports` runs it.
    exclude: ["node_modules/**", "test/real-exports/**", ...(process.env.PG_CRON_DATABASE_URL ? [] : ["test/pg-cron/**"])],
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Two cores: more forks only thrash. Each file still gets its own database.
    maxWorkers: 2,
  },
});
