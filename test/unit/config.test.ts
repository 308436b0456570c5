import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigError, configVariables, loadConfig } from "../../src/lib/config/env";

describe("loadConfig", () => {
  it("gives working defaults for an empty environment", () => {
    const c = loadConfig({});
    expect(c.embeddedDatabase).toBe(true);
    expect(c.PORT).toBe(3000);
    expect(c.HOST).toBe("127.0.0.1");
    expect(c.appUrl).toBe("http://127.0.0.1:3000");
    expect(c.WORKER_CONCURRENCY).toBe(2);
    expect(c.SPOTIFY_API_BASE_URL).toBe("https://api.spotify.com/v1");
  });

  it("uses DATABASE_URL when set, and treats an empty value as unset", () => {
    expect(loadConfig({ DATABASE_URL: "postgres://u:p@db.example:5432/liner" }).embeddedDatabase).toBe(false);
    expect(loadConfig({ DATABASE_URL: "  " }).embeddedDatabase).toBe(true);
  });

  it("parses numbers and strips trailing slashes from URLs", () => {
    const c = loadConfig({ PORT: "8080", WORKER_CONCURRENCY: "4", SPOTIFY_API_BASE_URL: "http://127.0.0.1:4010/v1/" });
    expect(c.PORT).toBe(8080);
    expect(c.WORKER_CONCURRENCY).toBe(4);
    expect(c.SPOTIFY_API_BASE_URL).toBe("http://127.0.0.1:4010/v1");
  });

  it.each([
    ["PORT", "http", /PORT — expected a port number \(got "http"\)/],
    ["PORT", "70000", /PORT — expected a port from 1 to 65535/],
    ["WORKER_CONCURRENCY", "0", /WORKER_CONCURRENCY — expected a whole number from 1 to 32/],
    ["DATABASE_URL", "mysql://x", /DATABASE_URL — expected a postgres:\/\/ or postgresql:\/\/ URL$/],
    ["SPOTIFY_API_BASE_URL", "ftp://x", /SPOTIFY_API_BASE_URL — expected an http\(s\) URL/],
    ["LOG_LEVEL", "loud", /LOG_LEVEL — /],
  ])("names %s and what it expects when %s is wrong", (variable, value, pattern) => {
    let error: unknown;
    try {
      loadConfig({ [variable]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(pattern);
    expect(message.split("\n")).toHaveLength(1);
  });

  it("never echoes a secret value back", () => {
    expect(() => loadConfig({ DATABASE_URL: "mysql://user:hunter2@x" })).toThrow(/^((?!hunter2).)*$/);
  });

  it(".env.example documents exactly the variables the schema reads", () => {
    const example = readFileSync(new URL("../../.env.example", import.meta.url), "utf8");
    const documented = [...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]).sort();
    expect(documented).toEqual([...configVariables].sort());
  });
});
