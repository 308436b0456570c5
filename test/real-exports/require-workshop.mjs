// Run before the real-exports suite: it reads real exports that are not in the repository.
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const fixtures = path.resolve(repo, "../shared/fixtures/spotify-exports");
if (!existsSync(fixtures)) {
  console.error(
    `test:real-exports needs the workshop folder ../shared beside the repository (${path.resolve(repo, "../shared")}), ` +
      "with the real Spotify exports in fixtures/spotify-exports. It is not there, so these tests cannot run. " +
      "`npm test` needs no such folder.",
  );
  process.exit(1);
}
