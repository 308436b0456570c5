import { describe, expect, it } from "vitest";
import { bestMatch, MATCH_THRESHOLD, score } from "../../src/lib/enrichment/match";

const c = (id: string, name: string, ...artists: string[]) => ({ id, name, artists });

describe("matching export names to search results", () => {
  it("accepts the same names whatever the case, accents and punctuation", () => {
    expect(score("Beyonce", "Deja Vu", c("1", "Déjà Vu", "Beyoncé"))).toBeGreaterThanOrEqual(0.99);
    expect(score("AC/DC", "T.N.T.", c("1", "TNT", "AC DC"))).toBeGreaterThan(MATCH_THRESHOLD);
    expect(score("ヨルシカ", "ただ君に晴れ", c("1", "ただ君に晴れ", "ヨルシカ"))).toBe(1);
  });

  it("takes a featured artist in either title as the same song", () => {
    expect(score("Ava Stone", "Gold (feat. Leo Vega)", c("1", "Gold", "Ava Stone", "Leo Vega"))).toBeGreaterThan(MATCH_THRESHOLD);
    expect(score("Ava Stone", "Gold", c("1", "Gold (feat. Leo Vega)", "Ava Stone", "Leo Vega"))).toBeGreaterThan(MATCH_THRESHOLD);
  });

  it("refuses other recordings the listen did not name: live, remix, karaoke, sped up, remaster", () => {
    for (const name of ["Gold - Live", "Gold - Night Remix", "Gold (Karaoke Version)", "Gold - Sped Up", "Gold - Remastered 2011", "Gold - Acoustic"]) {
      expect(score("Ava Stone", "Gold", c("x", name, "Ava Stone")), name).toBeLessThan(MATCH_THRESHOLD);
    }
    // …but takes them when the listen names them.
    expect(score("Ava Stone", "Gold - Live", c("x", "Gold - Live", "Ava Stone"))).toBe(1);
  });

  it("refuses the same title by another artist: tribute bands, karaoke acts, homonyms", () => {
    expect(score("Ava Stone", "Gold", c("x", "Gold", "Ava Stone Tribute Band"))).toBeLessThan(MATCH_THRESHOLD);
    expect(score("Ava Stone", "Gold", c("x", "Gold", "Karaoke Hits Band"))).toBeLessThan(MATCH_THRESHOLD);
    expect(score("Ava Stone", "Gold", c("x", "Gold", "The Velvet Owls"))).toBeLessThan(MATCH_THRESHOLD);
  });

  it("picks the right one among twins, the earlier on a tie, and nothing below the threshold", () => {
    const results = [c("live", "Gold - Live", "Ava Stone"), c("karaoke", "Gold (Karaoke Version)", "Karaoke Hits Band"), c("orig", "Gold", "Ava Stone"), c("dup", "Gold", "Ava Stone")];
    expect(bestMatch("Ava Stone", "Gold", results)?.candidate.id).toBe("orig");
    expect(bestMatch("Ava Stone", "Silver", results)).toBeNull();
    expect(bestMatch("Ava Stone", "Gold", [])).toBeNull();
  });
});
