// A stored login on a GitHub Actions runner (a self-hosted runner where someone ran `oauthx login`,
// or a store restored from a cache), for a provider that is not federated: the job's GitHub signals
// (GITHUB_ACTIONS, the ID token request API) are no business of it, so its warm `token` is what it
// is outside CI, a read and a decrypt: it neither asks the request API nor loads the catalogue or
// the user's providers file (providers/federated-hint.ts). Shown by a providers file the registry
// would refuse, which outside CI a warm `token` never reads either.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withEntry } from "../../src/store/document.ts";
import { openStore } from "../../src/store/file/store.ts";
import { type CiIdentityIssuer, startCiIdentityIssuer } from "../support/ci-identity-issuer.ts";
import { BIN, run } from "../support/run-node.ts";

describe("a stored login under GitHub Actions, for a provider that is not federated", () => {
  let issuer: CiIdentityIssuer;
  let root: string;
  let home: string;
  const accessToken = `gho_${"s".repeat(36)}`;
  beforeAll(async () => {
    issuer = await startCiIdentityIssuer();
    root = mkdtempSync(join(tmpdir(), "oauthx-fed-stored-"));
    home = join(root, "home");
    mkdirSync(home, { mode: 0o700 });
    mkdirSync(join(root, "runner-temp"));
    const now = Math.floor(Date.now() / 1000);
    await openStore({ home, env: {} }).update((document) =>
      withEntry(document, "github", "default", {
        access_token: accessToken,
        token_type: "bearer",
        refresh_token: `ghr_${"r".repeat(76)}`,
        expires_at: now + 86_400,
        scopes: ["repo"],
        obtained_at: now,
      }),
    );
    // Not a providers file the registry accepts (an unclosed flow sequence): loading it fails.
    writeFileSync(join(home, "providers.yaml"), "providers:\n  acme: [unclosed\n", { mode: 0o600 });
  });
  afterAll(async () => {
    await issuer?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const token = (env: Record<string, string>) =>
    run(BIN.oauthx, ["token", "github"], {
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: root,
        OAUTHX_HOME: home,
        OAUTHX_CI_CACHE_DIR: join(root, "runner-temp"),
        ...env,
      },
    });

  it("outside CI the warm token reads the store only (the control)", async () => {
    const result = await token({});
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe(`${accessToken}\n`);
  });

  it("with the ID token request API, or without id-token: write, the same: no registry, no request", async () => {
    const withApi = {
      GITHUB_ACTIONS: "true",
      ACTIONS_ID_TOKEN_REQUEST_URL: issuer.requestUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.requestToken,
    };
    for (const env of [withApi, { GITHUB_ACTIONS: "true" }]) {
      const result = await token(env);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toBe(`${accessToken}\n`);
      // Masked for the runner's log, as every token under GitHub Actions is; nothing else said.
      expect(result.stderr).toBe(`::add-mask::${accessToken}\n`);
    }
    expect(issuer.issued).toEqual([]);
  });

  it("a federated provider is still judged by the registry: the broken providers file is reported", async () => {
    const result = await run(BIN.oauthx, ["token", "entra"], {
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: root,
        OAUTHX_HOME: home,
        OAUTHX_CI_CACHE_DIR: join(root, "runner-temp"),
        GITHUB_ACTIONS: "true",
      },
    });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("providers.yaml");
  });
});
