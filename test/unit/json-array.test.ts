import { describe, expect, it } from "vitest";
import { JsonArrayScanner, JsonShapeError } from "../../src/lib/imports/json-array";

/** Scans `text` cut into chunks of `size` bytes; returns the elements and how it ended. */
function scan(text: string | Buffer, size = 1 << 20, opts: { stopAfter?: number; max?: number } = {}) {
  const buf = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const out: unknown[] = [];
  const s = new JsonArrayScanner((v) => {
    out.push(v);
    return opts.stopAfter === undefined || out.length < opts.stopAfter;
  }, { maxElementBytes: opts.max });
  for (let i = 0; i < buf.length; i += size) if (!s.feed(buf.subarray(i, i + size))) break;
  return { out, end: s.end() };
}

const tricky = [
  { a: 'quote " and backslash \\ and \\" both', b: [1, { c: "]}" }], d: null },
  { e: "ünïcødé ✓ 𝄞 and \\\\", f: -1.5e3, g: true },
  { h: "\\", i: "\\\\\\\"", j: "{[" },
  {},
];

describe("JsonArrayScanner", () => {
  it("finds every element whatever the chunk boundaries (every cut of a tricky input)", () => {
    const text = JSON.stringify(tricky, null, 1);
    for (let size = 1; size <= 40; size++) {
      const r = scan(text, size);
      expect(r.end).toBe("array");
      expect(r.out, `chunk size ${size}`).toEqual(tricky);
    }
  });

  it("reads compact, pretty and BOM-prefixed arrays, and empty ones", () => {
    expect(scan(JSON.stringify(tricky)).out).toEqual(tricky);
    expect(scan(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(tricky, null, 4))]), 7).out).toEqual(tricky);
    expect(scan("  [ ]  ")).toEqual({ out: [], end: "array" });
    expect(scan("")).toEqual({ out: [], end: "empty" });
  });

  it("says when the input is not an array", () => {
    expect(scan('{"a": 1}').end).toBe("not-array");
    expect(scan("%PDF-1.4").end).toBe("not-array");
  });

  it("stops when told to, without reading further", () => {
    const r = scan(JSON.stringify([{ a: 1 }, { a: 2 }, { a: 3 }]) + " garbage that is never read", 1 << 20, { stopAfter: 1 });
    expect(r.out).toEqual([{ a: 1 }]);
  });

  it.each([
    ['[{"a": 1}, {"a": 2}', /ends before its array does \(after 2 entries\).*truncated/],
    ['[{"a": 1}, {"a": "unterminated', /ends before its array does \(after 1 entries\)/],
    ['[{"a": 1}, 42]', /entry 2 is not an object/],
    ['["x"]', /entry 1 is not an object/],
    ['[{"a": 1} {"a": 2}]', /unexpected "\{" after entry 1/],
    ['[{"a": 1}] x', /unexpected content after the end/],
    ['[{"a": 1}, {"a": tru}]', /entry 2 is not valid JSON/],
  ])("rejects %s", (text, message) => {
    for (const size of [1, 3, 1 << 20]) {
      let error: unknown;
      try {
        scan(text, size);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(JsonShapeError);
      expect((error as Error).message).toMatch(message);
    }
  });

  it("refuses an element larger than the limit, in one chunk or many", () => {
    const text = JSON.stringify([{ a: "x".repeat(5000) }]);
    for (const size of [100, 1 << 20]) expect(() => scan(text, size, { max: 1000 })).toThrow(/entry 1 is larger than 1000 bytes/);
  });
});
