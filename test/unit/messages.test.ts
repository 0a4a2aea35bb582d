// What a newcomer reads when something is off (issue 16, "Messages"): each message says what is
// wrong and what to run, once, and never what cannot help. In-process through main().

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { shellWord } from "../../scripts/shell-word.ts";
import { main } from "../../src/main.ts";
import { parseDocument, withEntry } from "../../src/store/document.ts";
import { openStore } from "../../src/store/file/store.ts";
import { fakeContext } from "../support/fake-context.ts";
import { listenOnLoopback } from "../support/loopback-http.ts";

describe("messages", () => {
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), "oauthx-messages-"));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  const run = async (argv: string[], env: Record<string, string> = {}) => {
    const ctx = fakeContext({ home, env });
    const code = await main(argv, ctx);
    return { code, out: ctx.out(), err: ctx.err() };
  };

  it("a provider without its required name is reported missing; a misspelt field gets a did-you-mean", async () => {
    writeFileSync(
      join(home, "providers.yaml"),
      "providers:\n  acme:\n    issuer: https://acme.example\n    tokne_endpoint: https://acme.example/token\n",
    );
    const result = await run(["providers"]);
    expect(result.code).toBe(3);
    expect(result.err).toContain(
      'providers.yaml:2:3: provider "acme", field name: is missing (it is required)',
    );
    expect(result.err).toContain(
      'providers.yaml:4:5: provider "acme", field tokne_endpoint: unknown field; did you mean token_endpoint?',
    );
    expect(result.err).not.toContain("field name: unknown field");
  });

  it("a nested misspelt field is matched against its own object's fields", async () => {
    writeFileSync(
      join(home, "providers.yaml"),
      "providers:\n  acme:\n    name: Acme\n    issuer: https://acme.example\n    redirect:\n      prots: [8080]\n",
    );
    expect((await run(["providers"])).err).toContain(
      "field redirect.prots: unknown field; did you mean ports?",
    );
  });

  it.each([
    ["token", ["token", "githb"]],
    ["login", ["login", "githb"]],
    ["exec", ["exec", "githb", "--", "true"]],
    ["status", ["status", "githb"]],
    ["logout", ["logout", "githb"]],
    ["refresh", ["refresh", "githb"]],
    ["api", ["api", "githb", "/user"]],
    ["export", ["export", "githb", "--refresh-token"]],
    ["seed", ["seed", "githb"]],
  ])("%s with a misspelt provider suggests the right one", async (_name, argv) => {
    const result = await run(argv);
    expect(result.code).toBe(3);
    expect(result.err).toContain('unknown provider "githb"; did you mean "github"? [UNKNOWN_PROVIDER]');
  });

  it.each([
    ["token", ["token", "githb"], "rt-seed"],
    ["exec", ["exec", "githb", "--", "true"], "rt-seed"],
    // What GitHub Actions gives for a secret that does not exist: the id is still checked first.
    ["token, with an empty seed", ["token", "githb"], ""],
  ])("in CI mode, %s for a misspelt provider suggests the right one", async (_name, argv, seed) => {
    const cacheDir = join(home, "ci-cache");
    const result = await run(argv, { OAUTHX_GITHB_REFRESH_TOKEN: seed, OAUTHX_CI_CACHE_DIR: cacheDir });
    expect(result.code).toBe(3);
    expect(result.err).toContain('unknown provider "githb"; did you mean "github"? [UNKNOWN_PROVIDER]');
  });

  it.each([
    ["token", ["token", "githb"]],
    ["refresh", ["refresh", "githb"]],
    ["kube-credential", ["kube-credential", "githb"]],
    ["seed", ["seed", "githb"]],
  ])("%s with a misspelt provider says so even when the store does not open", async (_name, argv) => {
    await openStore({ home, env: {} }).update((document) =>
      withEntry(document, "github", "default", {
        access_token: "at-kept",
        token_type: "bearer",
        expires_at: Math.floor(Date.now() / 1000) + 3600,
        scopes: [],
        obtained_at: Math.floor(Date.now() / 1000),
      }),
    );
    rmSync(join(home, "identity.txt"));
    const result = await run(argv);
    expect(result.code).toBe(3);
    expect(result.err).toContain('unknown provider "githb"; did you mean "github"? [UNKNOWN_PROVIDER]');
    // The right id gets the store's own error.
    const right = await run([argv[0] as string, "github"]);
    expect(right.code).toBe(8);
    expect(right.err).toContain("[DECRYPT_FAILED]");
  });

  it("in CI mode a missing client id or secret is a CI remedy, not `login --client-secret-stdin`", async () => {
    const seed = { OAUTHX_GITHUB_REFRESH_TOKEN: "rt-seed-never-sent" };
    const noClient = await run(["token", "github"], seed);
    expect(noClient.code).toBe(3);
    expect(noClient.err).toContain("no client id for github [CONFIG_MISSING]");
    expect(noClient.err).toContain("set OAUTHX_GITHUB_CLIENT_ID in this step");
    const noSecret = await run(["token", "github"], { ...seed, OAUTHX_GITHUB_CLIENT_ID: "Iv1.x" });
    expect(noSecret.code).toBe(3);
    expect(noSecret.err).toContain(
      "pass the client secret to this step as OAUTHX_GITHUB_CLIENT_SECRET (a CI secret)",
    );
    for (const result of [noClient, noSecret]) {
      expect(result.err).not.toContain("oauthx login");
      expect(result.err).not.toContain("rt-seed-never-sent");
    }
  });

  it("api ends a response body's line before the error that follows it", async () => {
    const server = await listenOnLoopback(
      createServer((_request, response) => {
        response.writeHead(404, { "content-type": "text/plain" });
        response.end("no such thing");
      }),
    );
    try {
      writeFileSync(
        join(home, "providers.yaml"),
        `providers:\n  acme:\n    name: Acme\n    token_endpoint: ${server.url}/token\n    authorization_endpoint: ${server.url}/auth\n    api_base: ${server.url}\n    client_id: cli\n`,
      );
      await openStore({ home, env: {} }).update((document) =>
        withEntry(document, "acme", "default", {
          access_token: "at",
          token_type: "Bearer",
          scopes: [],
          obtained_at: Math.floor(Date.now() / 1000),
        }),
      );
      const result = await run(["api", "acme", "/missing"]);
      expect(result.code).toBe(9);
      expect(result.out).toBe("no such thing\n");
      expect(result.err).toContain("answered HTTP 404 [API_ERROR]");
    } finally {
      await server.close();
    }
  });

  it("logout when not logged in says so and succeeds; it does not tell you to log in", async () => {
    const result = await run(["logout", "github"]);
    expect(result.code).toBe(0);
    expect(result.err).toBe("Not logged in to GitHub: nothing to log out.\n");
  });

  it("an unknown command points to the help once", async () => {
    const result = await run(["tokn"]);
    expect(result.code).toBe(2);
    expect(result.err).toBe(
      'error: unknown command "tokn"; did you mean "token"?\nRun `oauthx --help` for the commands.\n',
    );
  });

  it("a decrypted file that is not a store document says so", () => {
    for (const json of ["[]", '"hello"', '{"profiles":{}}', "null"]) {
      expect(() => parseDocument(json, "/h/tokens.age")).toThrow(
        "the decrypted store /h/tokens.age is not an oauthx store (it decrypts, but holds no store document)",
      );
    }
    expect(() => parseDocument('{"version":1,"profiles":"x"}', "/h/tokens.age")).toThrow(
      /invalid value at profiles/,
    );
  });

  it("the demo prints commands a shell reads back unchanged", () => {
    const words = [
      "exec",
      "local",
      "--",
      "sh",
      "-c",
      `echo "it's $(printf %s "$LOCAL_TOKEN" | wc -c) chars"`,
    ];
    const line = words.map(shellWord).join(" ");
    const echoed = spawnSync("sh", ["-c", `for word in ${line}; do printf '%s\\n' "$word"; done`], {
      encoding: "utf8",
    });
    expect(echoed.stdout.split("\n").slice(0, -1)).toEqual(words);
  });
});
