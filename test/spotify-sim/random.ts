import { createHash, randomBytes } from "node:crypto";

/** A small seeded generator (mulberry32): the same seed gives the same catalogue, faults and exports. */
export class Rng {
  private state: number;
  constructor(seed: number | string) {
    this.state = typeof seed === "number" ? seed >>> 0 : hash32(seed);
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
}

export function hash32(s: string): number {
  return createHash("sha256").update(s).digest().readUInt32LE(0);
}

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** A Spotify-shaped id (22 base62 characters), stable for the same key. */
export function base62Id(key: string): string {
  const bytes = createHash("sha256").update(key).digest();
  let out = "";
  for (let i = 0; out.length < 22; i++) out += BASE62[bytes[i % bytes.length]! % 62];
  return out;
}

export const isBase62Id = (s: string) => /^[0-9A-Za-z]{22}$/.test(s);

/** Unguessable tokens (codes, access and refresh tokens) — never seeded. */
export function randomToken(bytes = 30): string {
  return randomBytes(bytes).toString("base64url");
}
