// The rules that keep credentials on their origins, in-process: what a login records, what a
// later request is checked against, and the permission rule for files that decide destinations.

import type { Stats } from "node:fs";
import { describe, expect, it } from "vitest";
import { resolveApiUrl } from "../../src/core/api-url.ts";
import { assertBoundOrigin, credentialOrigins } from "../../src/core/origin-binding.ts";
import { clientFor } from "../../src/core/provider-client.ts";
import { TokenManager } from "../../src/core/token-manager.ts";
import { isOauthxError } from "../../src/errors.ts";
import { loadRegistry } from "../../src/providers/registry.ts";
import {
  emptyDocument,
  getEntry,
  type StoreDocument,
  type TokenEntry,
  withEntry,
} from "../../src/store/document.ts";
import { assertOwnerOnlyWritable } from "../../src/store/permissions.ts";

const entry: TokenEntry = {
  access_token: "at",
  token_type: "Bearer",
  refresh_token: "rt",
  scopes: [],
  obtained_at: 0,
  expires_at: 1,
};

async function github() {
  const registry = await loadRegistry("/nonexistent-oauthx-home");
  return clientFor(
    { env: { OAUTHX_GITHUB_CLIENT_ID: "id", OAUTHX_GITHUB_CLIENT_SECRET: "s" } },
    registry.get("github"),
  );
}

describe("origin binding", () => {
  it("records the origins of every endpoint and the API, without paths or placeholders", async () => {
    expect(credentialOrigins(await github())).toEqual(["https://api.github.com", "https://github.com"]);
  });

  it("an entry bound to its origins refuses any other, naming both; an unbound one passes", () => {
    const bound = { ...entry, origins: ["https://github.com"] };
    expect(() =>
      assertBoundOrigin("github", bound, "https://github.com/login/oauth/access_token", "x"),
    ).not.toThrow();
    let error: unknown;
    try {
      assertBoundOrigin("github", bound, "https://github.com.evil.example/token", "the refresh token");
    } catch (thrown) {
      error = thrown;
    }
    expect(isOauthxError(error, "ORIGIN_MISMATCH")).toBe(true);
    expect((error as Error).message).toBe(
      "refusing to send the refresh token of the github login to https://github.com.evil.example: it was issued by https://github.com",
    );
    expect(() => assertBoundOrigin("github", entry, "https://anywhere.example/", "x")).not.toThrow();
  });

  it("a login of an older oauthx is bound at its first refresh, and keeps that first record", async () => {
    let document: StoreDocument = withEntry(emptyDocument(), "acme", "default", entry);
    const store = {
      read: async () => document,
      update: async (change: (current: StoreDocument) => StoreDocument | Promise<StoreDocument>) => {
        document = await change(document);
        return document;
      },
    };
    const manager = new TokenManager({ store, now: () => 10_000 });
    let origins = ["https://idp.example"];
    const refresher = async () => ({ access_token: "new", token_type: "Bearer", expires_in: 60, origins });
    await manager.getToken({ provider: "acme", profile: "default", refresher, force: true });
    expect(getEntry(document, "acme", "default")?.origins).toEqual(["https://idp.example"]);
    origins = ["https://elsewhere.example"];
    await manager.getToken({ provider: "acme", profile: "default", refresher, force: true });
    expect(getEntry(document, "acme", "default")?.origins).toEqual(["https://idp.example"]);
  });

  it("API requests go to api_base's origin (and api_origins) only, unless a host is allowed", async () => {
    const client = await github();
    const target = { client, entry: { ...entry, origins: credentialOrigins(client) } };
    expect(resolveApiUrl("/user", target).href).toBe("https://api.github.com/user");
    expect(resolveApiUrl("https://api.github.com/repos/o/r", target).host).toBe("api.github.com");
    for (const url of [
      "https://elsewhere.example/x",
      "https://github.com/login",
      "https://api.github.com:8443/x",
    ]) {
      expect(() => resolveApiUrl(url, target)).toThrow(/ORIGIN_MISMATCH|not an API of github/);
    }
    expect(
      resolveApiUrl("https://uploads.example/x", { ...target, allowHosts: ["uploads.example"] }).host,
    ).toBe("uploads.example");
    expect(() => resolveApiUrl("http://api.github.com/user", target)).toThrow(/plain http/);
  });
});

describe("files that decide where tokens go", () => {
  const stats = (uid: number, mode: number) => ({ uid, mode: 0o100000 | mode }) as Stats;
  const me = process.getuid?.() ?? 0;

  it("may be read by others, written only by their owner, who is us or root", () => {
    expect(() => assertOwnerOnlyWritable("/p.yaml", stats(me, 0o644))).not.toThrow();
    expect(() => assertOwnerOnlyWritable("/p.yaml", stats(0, 0o644))).not.toThrow();
    expect(() => assertOwnerOnlyWritable("/p.yaml", stats(me, 0o664))).toThrow(
      /writable by other users \(mode 0664\)/,
    );
    let loose: unknown;
    try {
      assertOwnerOnlyWritable("/p.yaml", stats(me, 0o646));
    } catch (error) {
      loose = error;
    }
    expect(loose).toMatchObject({ code: "STORE_PERMISSIONS", remedy: "chmod go-w /p.yaml" });
    expect(() => assertOwnerOnlyWritable("/p.yaml", stats(4242, 0o600))).toThrow(
      /belongs to another user \(uid 4242\)/,
    );
  });
});
