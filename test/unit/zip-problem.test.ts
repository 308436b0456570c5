import { describe, expect, it } from "vitest";
import { zipProblem } from "../../src/lib/imports/zip-reader";

describe("zipProblem: a zip's trouble in words", () => {
  it("never shows signatures or offsets", () => {
    for (const m of [
      "invalid central directory file header signature: 0xdc219b85",
      "invalid local file header signature: 0x8b1f",
      "End of central directory record signature not found. Either not a zip file, or file is truncated.",
      "invalid zip64 end of central directory record signature",
      "something else: 0xdeadbeef happened",
    ]) {
      expect(zipProblem(m)).not.toMatch(/0x[0-9a-f]+|signature/i);
    }
    expect(zipProblem("invalid central directory file header signature: 0xdc219b85")).toBe("its table of contents is damaged");
    expect(zipProblem("End of central directory record signature not found.")).toMatch(/cut short \(truncated\)/);
    expect(zipProblem("invalid distance too far back")).toBe("its compressed data is damaged");
  });
});
