import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, decodeKey, loadConfig } from "../../src/lib/config/env";
import { decryptToken, encryptToken, ensureTokenKey } from "../../src/lib/crypto/token-crypto";

describe("token encryption", () => {
  const key = randomBytes(32);

  it("round-trips, and never stores the token in clear", () => {
    const stored = encryptToken(key, "BQD-access-token");
    expect(stored.includes(Buffer.from("BQD-access-token"))).toBe(false);
    expect(decryptToken(key, stored)).toBe("BQD-access-token");
    // A fresh IV each time: the same token never encrypts to the same bytes.
    expect(encryptToken(key, "x").equals(encryptToken(key, "x"))).toBe(false);
  });

  it("refuses a wrong key or tampered bytes with a clear message", () => {
    const stored = encryptToken(key, "secret");
    expect(() => decryptToken(randomBytes(32), stored)).toThrow(/not the key it was saved with/);
    const tampered = Buffer.from(stored);
    tampered[tampered.length - 1]! ^= 1;
    expect(() => decryptToken(key, tampered)).toThrow(/could not be decrypted/);
    expect(() => decryptToken(key, Buffer.from([9, 1, 2]))).toThrow(/unknown format/);
  });

  it("accepts 32-byte keys as base64 or hex, and nothing shorter", () => {
    expect(decodeKey(randomBytes(32).toString("base64"))).toHaveLength(32);
    expect(decodeKey(randomBytes(32).toString("hex"))).toHaveLength(32);
    expect(decodeKey(randomBytes(16).toString("base64"))).toBeNull();
    expect(decodeKey("correct horse battery staple")).toBeNull();
    expect(() => loadConfig({ TOKEN_ENCRYPTION_KEY: "short" })).toThrow(
      /^Invalid configuration: TOKEN_ENCRYPTION_KEY — expected 32 random bytes as base64 or hex/,
    );
    // The value itself is never echoed.
    expect(() => loadConfig({ TOKEN_ENCRYPTION_KEY: "short" })).not.toThrow(/"short"/);
  });
});

describe("ensureTokenKey", () => {
  let dir: string;
  const saved = process.env.TOKEN_ENCRYPTION_KEY;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "liner-key-"));
  });
  afterAll(async () => {
    process.env.TOKEN_ENCRYPTION_KEY = saved;
    await rm(dir, { recursive: true, force: true });
  });

  it("generates a key file once for the embedded database, readable only by its owner", async () => {
    const first = await ensureTokenKey(loadConfig({ LINER_DATA_DIR: dir }));
    const second = await ensureTokenKey(loadConfig({ LINER_DATA_DIR: dir }));
    expect(first.equals(second)).toBe(true);
    const file = path.join(dir, "token-key");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(decodeKey(await readFile(file, "utf8"))!.equals(first)).toBe(true);
  });

  it("stops start-up with an external database and no key", async () => {
    const config = loadConfig({ LINER_DATA_DIR: dir, DATABASE_URL: "postgres://x@db.example/liner" });
    await expect(ensureTokenKey(config)).rejects.toBeInstanceOf(ConfigError);
    await expect(ensureTokenKey(config)).rejects.toThrow(/TOKEN_ENCRYPTION_KEY — required with DATABASE_URL/);
  });
});
