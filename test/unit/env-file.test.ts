import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkEnvText, EnvFileError, envFilePath, loadEnvFile } from "../../src/lib/config/env-file";

describe("checkEnvText", () => {
  it("accepts what .env.example and Node's parser accept", () => {
    const text = [
      "# a comment",
      "",
      "  # an indented comment",
      "PORT=3200",
      "export HOST=0.0.0.0",
      "EMPTY=",
      "SPACED = value with spaces # and a comment",
      "SINGLE='single quoted' ",
      'DOUBLE="a # is kept, \\n is a newline" # comment',
      'MULTI="first',
      "second",
      'third"',
      "BACKTICK=`x`",
      "URL=postgres://u:p@h:5432/db?sslmode=require#frag",
    ].join("\r\n");
    expect(checkEnvText(text)).toBe(null);
    expect(checkEnvText("\uFEFFPORT=1\n")).toBe(null);
  });

  it.each([
    ["PORT 3200", "line 1: expected NAME=value"],
    ["A=1\n\njust words", "line 3: expected NAME=value"],
    ["1ABC=x", 'line 1: "1ABC" is not a variable name (letters, digits and _)'],
    ["MY-VAR=x", 'line 1: "MY-VAR" is not a variable name (letters, digits and _)'],
    ["=x", 'line 1: "" is not a variable name (letters, digits and _)'],
    ['A="open\nB=2\n', 'line 1: the value of A opens a " quote that never closes'],
    ["A=1\nB='x' y", "line 2: unexpected text after the closing ' of B"],
    // Node ends a value at the next quote: an escaped one would silently cut it short.
    ['A="say \\"hi\\""', 'line 1: unexpected text after the closing " of A'],
  ])("rejects %j: %s", (text, problem) => {
    expect(checkEnvText(text)).toBe(problem);
  });

  it("never repeats a value", () => {
    expect(checkEnvText("SPOTIFY_CLIENT_SECRET hunter2")).not.toContain("hunter2");
    expect(checkEnvText('SPOTIFY_CLIENT_SECRET="hunter2')).not.toContain("hunter2");
  });
});

describe("loadEnvFile", () => {
  let dir: string;
  let root: string;
  let cwd: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "liner-envfile-unit-"));
    root = path.join(dir, "root");
    cwd = path.join(dir, "cwd");
    await mkdir(root);
    await mkdir(cwd);
    await writeFile(path.join(root, ".env"), "FROM=root\n");
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads Liner's own .env when the working directory has none", () => {
    const env: Record<string, string | undefined> = {};
    expect(loadEnvFile({ env, cwd, root })).toBe(path.join(root, ".env"));
    expect(env.FROM).toBe("root");
  });

  it("prefers the working directory's .env, and reads only that one", async () => {
    await writeFile(path.join(cwd, ".env"), "PORT=3200\nA=from-file\nB=from-file\nC=from-file\n");
    const env: Record<string, string | undefined> = { A: "from-env", B: "" };
    expect(loadEnvFile({ env, cwd, root })).toBe(path.join(cwd, ".env"));
    expect(env).toEqual({ PORT: "3200", A: "from-env", B: "", C: "from-file" });
  });

  it("reads the file LINER_ENV_FILE names instead, and fails when it is missing", async () => {
    await writeFile(path.join(dir, "other.env"), "FROM=other\n");
    const env: Record<string, string | undefined> = { LINER_ENV_FILE: "../other.env" };
    expect(envFilePath({ env, cwd, root })).toBe(path.join(dir, "other.env"));
    loadEnvFile({ env, cwd, root });
    expect(env.FROM).toBe("other");
    expect(() => envFilePath({ env: { LINER_ENV_FILE: "nope.env" }, cwd, root })).toThrow(
      new EnvFileError(path.join(cwd, "nope.env"), "no such file (named by LINER_ENV_FILE)"),
    );
  });

  it("names the file, and changes nothing, when it is malformed", async () => {
    const file = path.join(dir, "bad.env");
    await writeFile(file, "GOOD=1\nbad line\n");
    const env: Record<string, string | undefined> = { LINER_ENV_FILE: file };
    expect(() => loadEnvFile({ env, cwd, root })).toThrow(`Invalid configuration file ${file}: line 2: expected NAME=value`);
    expect(env.GOOD).toBeUndefined();
  });
});
