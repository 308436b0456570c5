import { describe, expect, it } from "vitest";
import { bestMatch, MATCH_THRESHOLD, score, strippedTitle, type Candidate } from "../../src/lib/enrichment/match";

const c = (id: string, name: string, ...artists: string[]): Candidate => ({ id, name, artists });
const r = (id: string, name: string, artists: string[], extra: Partial<Candidate>): Candidate => ({ id, name, artists, ...extra });

describe("matching export names to search results", () => {
  it("accepts the same names whatever the case, accents and punctuation", () => {
    expect(score("Beyonce", "Deja Vu", c("1", "Déjà Vu", "Beyoncé"))).toBeGreaterThanOrEqual(0.99);
    expect(score("AC/DC", "T.N.T.", c("1", "TNT", "AC DC"))).toBeGreaterThan(MATCH_THRESHOLD);
    expect(score("ヨルシカ", "ただ君に晴れ", c("1", "ただ君に晴れ", "ヨルシカ"))).toBe(1);
  });

  it("takes a featured artist the export names, in the title or among the artists, as the same song", () => {
    expect(score("Ava Stone", "Gold (feat. Leo Vega)", c("1", "Gold", "Ava Stone", "Leo Vega"))).toBeGreaterThan(MATCH_THRESHOLD);
    expect(score("Ava Stone", "Gold (feat. Leo Vega)", c("1", "Gold (feat. Leo Vega)", "Ava Stone", "Leo Vega"))).toBe(1);
  });

  it('takes "(with X)" for "(feat. X)": Spotify renamed it', () => {
    const m = bestMatch("Ava Stone", "Gold (feat. Leo Vega)", [c("1", "Gold (with Leo Vega)", "Ava Stone", "Leo Vega")]);
    expect(m?.candidate.id).toBe("1");
    expect(m!.confidence).toBeLessThan(1);
    expect(m!.reason).toMatch(/written differently/);
  });

  it("refuses a featured variant by the same main artist that the export does not name", () => {
    const feat = c("feat", "What It Is (Block Boy) (with Kodak Black)", "Doechii", "Kodak Black");
    const solo = c("solo", "What It Is (Solo Version)", "Doechii");
    expect(score("Doechii", "What It Is", feat)).toBeLessThan(MATCH_THRESHOLD);
    expect(score("Ava Stone", "Gold", c("x", "Gold (feat. Leo Vega)", "Ava Stone", "Leo Vega"))).toBeLessThan(MATCH_THRESHOLD);
    expect(bestMatch("Ava Stone", "Gold", [c("x", "Gold (feat. Leo Vega)", "Ava Stone", "Leo Vega")])).toBeNull();
    // Below any candidate without one, even one Spotify ranked after it.
    expect(bestMatch("Ava Stone", "Gold", [c("x", "Gold (feat. Leo Vega)", "Ava Stone", "Leo Vega"), c("o", "Gold", "Ava Stone")])?.candidate.id).toBe("o");
    expect(score("Doechii", "What It Is (Solo Version)", solo)).toBe(1);
    expect(bestMatch("Doechii", "What It Is (Solo Version)", [feat, solo])?.candidate.id).toBe("solo");
  });

  it('accepts " - Remastered 2012" and " - 2010 Remaster" added since the export, below an undecorated exact title', () => {
    const renamed = bestMatch("Prince", "1999 WILDFIRE", [c("rm", "1999 WILDFIRE - Remastered 2012", "Prince")]);
    expect(renamed?.candidate.id).toBe("rm");
    expect(renamed!.confidence).toBeGreaterThanOrEqual(MATCH_THRESHOLD);
    expect(renamed!.confidence).toBeLessThan(0.99);
    expect(renamed!.reason).toMatch(/remaster/);
    expect(bestMatch("Prince", "1999 WILDFIRE", [c("rm", "1999 WILDFIRE - Remastered 2012", "Prince"), c("o", "1999 WILDFIRE", "Prince")])?.candidate.id).toBe("o");
    // "remaster" and "remastered" are one marker.
    expect(score("Prince", "Gold - Remastered 2010", c("x", "Gold - 2010 Remaster", "Prince"))).toBeGreaterThan(0.95);
    // A radio edit when nothing closer exists.
    expect(bestMatch("Ava Stone", "Gold", [c("re", "Gold - Radio Edit", "Ava Stone")])?.candidate.id).toBe("re");
    expect(bestMatch("Ava Stone", "Gold", [c("re", "Gold - Radio Edit", "Ava Stone"), c("o", "Gold", "Ava Stone")])?.candidate.id).toBe("o");
  });

  it("prefers the original release of the same recording: album over compilation, then the earliest", () => {
    const comp = r("comp", "Bones", ["Imagine Dragons"], { albumType: "compilation", releaseDate: "2023-01-01", isrc: "USUM72201133", durationMs: 165_000 });
    const orig = r("orig", "Bones", ["Imagine Dragons"], { albumType: "album", releaseDate: "2022-03-11", isrc: "USUM72201133", durationMs: 165_000 });
    const m = bestMatch("Imagine Dragons", "Bones", [comp, orig]);
    expect(m?.candidate.id).toBe("orig");
    expect(m!.reason).toMatch(/original release \(album of 2022-03-11\) over the same recording on a compilation/);
    // Same title, artists and duration within 2 s, no ISRC: the same recording too; the earliest wins.
    const a = r("late", "Gold", ["Ava Stone"], { albumType: "single", releaseDate: "2019", durationMs: 200_000 });
    const b = r("early", "Gold", ["Ava Stone"], { albumType: "album", releaseDate: "2011-05-01", durationMs: 201_500 });
    expect(bestMatch("Ava Stone", "Gold", [a, b])?.candidate.id).toBe("early");
    // Another ISRC is another recording: Spotify's order stands.
    const other = r("other", "Gold", ["Ava Stone"], { albumType: "album", releaseDate: "2001", isrc: "X2", durationMs: 200_000 });
    expect(bestMatch("Ava Stone", "Gold", [{ ...a, isrc: "X1" }, other])?.candidate.id).toBe("late");
  });

  it("takes the longest play as a lower bound on the duration", () => {
    const short = r("short", "Gold", ["Ava Stone"], { durationMs: 150_000 });
    const long = r("long", "Gold", ["Ava Stone"], { durationMs: 240_000 });
    expect(bestMatch("Ava Stone", "Gold", [short, long], MATCH_THRESHOLD, { minDurationMs: 230_000 })?.candidate.id).toBe("long");
    expect(bestMatch("Ava Stone", "Gold", [short], MATCH_THRESHOLD, { minDurationMs: 230_000 })).toBeNull();
    // A few seconds over is the same track (plays run a little past the end).
    expect(bestMatch("Ava Stone", "Gold", [short], MATCH_THRESHOLD, { minDurationMs: 153_000 })?.candidate.id).toBe("short");
  });

  it("strips decorations and featured artists for the second search", () => {
    expect(strippedTitle("Gold (feat. Leo Vega) - Radio Edit")).toBe("Gold");
    expect(strippedTitle("1999 WILDFIRE - Remastered 2012")).toBe("1999 WILDFIRE");
    expect(strippedTitle("Gold")).toBe("Gold");
  });

  it("refuses other recordings the listen did not name: live, remix, karaoke, sped up, acoustic", () => {
    for (const name of ["Gold - Live", "Gold - Night Remix", "Gold (Karaoke Version)", "Gold - Sped Up", "Gold - Acoustic", "Gold - Live (Remastered 2011)"]) {
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
