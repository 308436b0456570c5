import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { catalogueFromExtendedHistory, type ExtendedEntry } from "../spotify-sim/from-history";
import { realExportsDir } from "./workshop";

describe("the simulator's catalogue from a real Extended Streaming History", () => {
  it("holds every track of candidlyred's endsong.json, under its real id and names", () => {
    const file = path.join(realExportsDir, "extended/candidlyred/endsong.json");
    const entries = JSON.parse(readFileSync(file, "utf8")) as ExtendedEntry[];
    const cat = catalogueFromExtendedHistory(entries);
    expect(cat.tracks.size).toBe(92);
    const e = entries.find((x) => x.spotify_track_uri)!;
    const t = cat.tracks.get(e.spotify_track_uri!.split(":")[2]!)!;
    expect(t.name).toBe(e.master_metadata_track_name);
    const withVariants = catalogueFromExtendedHistory(entries, { variants: true });
    expect(withVariants.tracks.size).toBe(92 * 4);
  });
});
