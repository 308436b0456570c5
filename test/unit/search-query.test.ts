import { describe, expect, it } from "vitest";
import { clip, filteredQuery, looseQuery, SEARCH_QUERY_MAX } from "../../src/lib/spotify/fetch";

const len = (s: string) => [...s].length;

describe("search queries stay within Spotify's 100-character limit", () => {
  it("leaves ordinary names whole", () => {
    expect(filteredQuery("Ava Stone", 'Gold "Live"')).toBe('track:"Gold  Live" artist:"Ava Stone"');
    expect(looseQuery("Ava Stone", "Gold")).toBe("Gold Ava Stone");
  });

  it("shortens long names at a word's end, keeping a short artist whole", () => {
    const title = "Der für die Sünden der Welt gemarterte und sterbende Jesus, TWV 5:1, Brockes Passion: Recitative: Drauf sagten sie";
    const q = filteredQuery("Georg Philipp Telemann", title);
    expect(len(q)).toBeLessThanOrEqual(SEARCH_QUERY_MAX);
    expect(q).toMatch(/^track:"Der für die Sünden der Welt .*[a-z,:]" artist:"Georg Philipp Telemann"$/);
    expect(len(looseQuery("Georg Philipp Telemann", title))).toBeLessThanOrEqual(SEARCH_QUERY_MAX);
  });

  it("holds for thousands of characters, in any script", () => {
    const huge = "夜".repeat(6000);
    for (const q of [filteredQuery(huge, huge), looseQuery(huge, huge), filteredQuery("a ".repeat(3000), "b"), looseQuery("x", "y ".repeat(3000))]) {
      expect(len(q)).toBeLessThanOrEqual(SEARCH_QUERY_MAX);
      expect(len(q)).toBeGreaterThan(SEARCH_QUERY_MAX / 2);
    }
    expect(clip("one two three", 9)).toBe("one two");
    expect(clip("abcdefghij", 4)).toBe("abcd");
  });
});
