import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { ConfigError, decodeKey, type Config } from "../config/env";
import { dataDir } from "../util/paths";

// Stored as: version (1 byte) | IV (12) | auth tag (16) | ciphertext. The version leaves room to rotate.
const VERSION = 1;

export function encryptToken(key: Buffer, plaintext: string): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
}

export function decryptToken(key: Buffer, stored: Buffer): string {
  if (stored.length < 29 || stored[0] !== VERSION) throw new Error("Stored token has an unknown format.");
  const decipher = createDecipheriv("aes-256-gcm", key, stored.subarray(1, 13));
  decipher.setAuthTag(stored.subarray(13, 29));
  try {
    return Buffer.concat([decipher.update(stored.subarray(29)), decipher.final()]).toString("utf8");
  } catch {
    throw new Error("Stored token could not be decrypted: TOKEN_ENCRYPTION_KEY is not the key it was saved with.");
  }
}

/** The key from TOKEN_ENCRYPTION_KEY, for processes that started after `ensureTokenKey`. */
export function tokenKey(config: Pick<Config, "TOKEN_ENCRYPTION_KEY">): Buffer {
  const key = config.TOKEN_ENCRYPTION_KEY ? decodeKey(config.TOKEN_ENCRYPTION_KEY) : null;
  if (!key) throw new ConfigError("TOKEN_ENCRYPTION_KEY", "not set: start Liner with `liner serve` or set it");
  return key;
}

/**
 * Makes sure a key exists before anything touches tokens. With the embedded database a key file is
 * generated once under LINER_DATA_DIR (the database and its key live side by side); with an external
 * database the operator must set TOKEN_ENCRYPTION_KEY, or tokens would be unreadable elsewhere.
 * Sets process.env.TOKEN_ENCRYPTION_KEY so the web app and workers in this process read the same key.
 */
export async function ensureTokenKey(config: Config): Promise<Buffer> {
  if (config.TOKEN_ENCRYPTION_KEY) return tokenKey(config);
  if (!config.embeddedDatabase) {
    throw new ConfigError(
      "TOKEN_ENCRYPTION_KEY",
      "required with DATABASE_URL: 32 random bytes as base64 (make one with: openssl rand -base64 32)",
    );
  }
  const file = path.join(dataDir(config.LINER_DATA_DIR), "token-key");
  let encoded: string;
  if (existsSync(file)) {
    encoded = (await readFile(file, "utf8")).trim();
    if (!decodeKey(encoded)) throw new Error(`${file} does not hold a valid key: restore it, or set TOKEN_ENCRYPTION_KEY.`);
  } else {
    await mkdir(path.dirname(file), { recursive: true });
    encoded = randomBytes(32).toString("base64");
    await writeFile(file, `${encoded}\n`, { mode: 0o600, flag: "wx" });
  }
  process.env.TOKEN_ENCRYPTION_KEY = encoded;
  config.TOKEN_ENCRYPTION_KEY = encoded;
  return decodeKey(encoded)!;
}
