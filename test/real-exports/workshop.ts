import path from "node:path";
import { repoRoot } from "../support/liner-process";

/**
 * The builders' workshop folder beside the repository: real exports of other people, published by
 * them, which stay out of the repository. Only this suite (`npm run test:real-exports`) reads it;
 * require-workshop.mjs stops the run with a plain message when it is missing.
 */
export const workshopDir = path.resolve(repoRoot, "../shared");
export const realExportsDir = path.join(workshopDir, "fixtures/spotify-exports");
