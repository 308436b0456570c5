import { defineConfig } from "vitest/config";
import base from "./vitest.config";

/**
 * `npm run test:real-exports`: the checks against real people's exports, which live in the workshop
 * folder ../shared beside the repository and never in it. `npm test` does not run them. Same setup
 * as vitest.config.ts (database, aliases, workers); only which files run differs.
 */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ["test/real-exports/**/*.test.ts"],
    exclude: ["node_modules/**"],
  },
});
