// Federated CI jobs that cannot get a token, on the compiled binary: each failure a typed error
// with its remedy, at once or within seconds, never showing the identity token or the request
// token; and which mode a provider is in when a seed and a federation source meet. The servers
// are those of federation-job.test.ts (ci-identity-issuer.ts, federation-token-server.ts).

import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CI_SUBJECT, type CiIdentityIssuer } from "../support/ci-identity-issuer.ts";
import {
  AUDIENCE,
  expectNotShown,
  type FederatedServers,
  gitHubEnv,
  job,
  startFederatedServers,
} from "../support/federated-job.ts";
import type { FederationServer } from "../support/federation-token-server.ts";

describe("federated CI job: what fails, and how it says so", () => {
  let servers: FederatedServers;
  let issuer: CiIdentityIssuer;
  let server: FederationServer;
  let root: string;

  beforeAll(async () => {
    servers = await startFederatedServers();
    ({ issuer, server, root } = servers);
  });
  afterAll(async () => {
    await servers?.close();
  });

  it("a refused audience is FEDERATION_REFUSED (exit 6) showing iss, sub and aud, never the token", async () => {
    const ci = job(root, "refused", server, gitHubEnv(issuer));
    const before = issuer.issued.length;
    const result = await ci.oauthx(["token", "fed-wrong"]);
    expect(result.code).toBe(6);
    expect(result.stderr).toContain("[FEDERATION_REFUSED]");
    expect(result.stderr).toContain("invalid_grant: audience not accepted by the trust policy");
    expect(result.stderr).toContain(`iss=${issuer.issuer} sub=${CI_SUBJECT} aud=https://not-trusted.example`);
    const identity = issuer.issued.slice(before);
    expect(identity).toHaveLength(1);
    expectNotShown(result, identity[0] as string);
    expect(readdirSync(ci.home)).toEqual(["providers.yaml"]);
  });

  it("OAUTHX_<ID>_TOKEN_ORIGIN pins where the identity token goes: elsewhere, nothing is requested or sent", async () => {
    const ci = job(root, "pinned", server, gitHubEnv(issuer));
    const before = issuer.issued.length;
    const exchanges = { ...server.exchanges };
    const elsewhere = await ci.oauthx(["token", "fed-exchange"], {
      env: { OAUTHX_FED_EXCHANGE_TOKEN_ORIGIN: "https://sts.example.com" },
    });
    expect(elsewhere.code).toBe(3);
    expect(elsewhere.stderr).toContain("[ORIGIN_MISMATCH]");
    expect(elsewhere.stderr).toContain(
      `to ${new URL(server.tokenEndpoint).origin}: OAUTHX_FED_EXCHANGE_TOKEN_ORIGIN pins fed-exchange to https://sts.example.com`,
    );
    expect(elsewhere.stdout).toBe("");
    expect(issuer.issued.length).toBe(before);
    expect(server.exchanges).toEqual(exchanges);
    const pinnedHere = await ci.oauthx(["token", "fed-exchange"], {
      env: { OAUTHX_FED_EXCHANGE_TOKEN_ORIGIN: new URL(server.tokenEndpoint).origin },
    });
    expect(pinnedHere.code, pinnedHere.stderr).toBe(0);
  });

  it("a seed and a federation source for one provider: the seed wins, as documented", async () => {
    const ci = job(root, "seed-wins", server, gitHubEnv(issuer));
    const status = await ci.oauthx(["status", "fed-exchange", "--json"], {
      env: { OAUTHX_FED_EXCHANGE_REFRESH_TOKEN: "a-seed" },
    });
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toEqual([
      expect.objectContaining({ provider: "fed-exchange", source: "OAUTHX_FED_EXCHANGE_REFRESH_TOKEN" }),
    ]);
    expect(status.stdout).not.toContain("a-seed");
  });

  it("a federation-only built-in has no login, and says where its login comes from", async () => {
    const ci = job(root, "no-login", server, {});
    const result = await ci.oauthx(["login", "entra"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("entra serves CI jobs only (federation, client-assertion)");
  });

  it("status lists the federated providers a job used, and in a job without id-token: write none", async () => {
    const without = job(root, "status-no-permission", server, { GITHUB_ACTIONS: "true" });
    const quiet = await without.oauthx(["status", "--json"]);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).toBe("");
    expect(JSON.parse(quiet.stdout)).toEqual([]);
    const used = job(root, "status-used", server, gitHubEnv(issuer));
    expect((await used.oauthx(["token", "fed-exchange"])).code).toBe(0);
    const listed = await used.oauthx(["status", "--json"]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout).map((row: { provider: string }) => row.provider)).toEqual([
      "fed-exchange",
    ]);
  });

  it("GitHub Actions without `permissions: id-token: write` is named at once", async () => {
    const ci = job(root, "no-permission", server, { GITHUB_ACTIONS: "true" });
    const started = Date.now();
    const result = await ci.oauthx(["token", "fed-exchange"]);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("permissions: id-token: write");
    // A provider without a federation block is not concerned: it wants an ordinary login, in a
    // job without the permission or with half of the request API.
    for (const env of [{}, { ACTIONS_ID_TOKEN_REQUEST_URL: issuer.requestUrl }]) {
      const plain = await ci.oauthx(["token", "plain"], { env });
      expect(plain.code).toBe(4);
      expect(plain.stderr).toContain("[AUTH_REQUIRED]");
    }
  });

  it("a request API that refuses (401) or fails (503) is ID_TOKEN_UNAVAILABLE with the remedy", async () => {
    const ci = job(root, "request-api", server, gitHubEnv(issuer));
    try {
      issuer.mode = "unauthorized";
      const refused = await ci.oauthx(["token", "fed-exchange"]);
      expect(refused.code).toBe(4);
      expect(refused.stderr).toContain("[ID_TOKEN_UNAVAILABLE]");
      expect(refused.stderr).toContain("HTTP 401");
      expect(refused.stderr).toContain("id-token: write");
      issuer.mode = "unavailable";
      const failed = await ci.oauthx(["token", "fed-exchange"]);
      expect(failed.code).toBe(4);
      expect(failed.stderr).toContain("HTTP 503");
      expectNotShown(failed, issuer.requestToken);
    } finally {
      issuer.mode = "ok";
    }
  });

  it("a request API that hangs is a NETWORK error within seconds", async () => {
    const ci = job(root, "hang", server, gitHubEnv(issuer));
    try {
      issuer.mode = "hang";
      const started = Date.now();
      const result = await ci.oauthx(["token", "fed-exchange"]);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(result.code).toBe(7);
      expect(result.stderr).toContain("the GitHub Actions ID token request failed");
    } finally {
      issuer.mode = "ok";
    }
  }, 30_000);

  it("an expired or unreadable identity token file is ID_TOKEN_UNAVAILABLE before anything is sent", async () => {
    const file = join(root, "expired.jwt");
    writeFileSync(file, await issuer.issue({ aud: AUDIENCE, lifetime: -60 }));
    const ci = job(root, "expired-file", server, { OAUTHX_FED_ASSERTION_ID_TOKEN_FILE: file });
    const total = Object.values(server.exchanges).reduce((sum, count) => sum + count, 0);
    const expired = await ci.oauthx(["token", "fed-assertion"]);
    expect(expired.code).toBe(4);
    expect(expired.stderr).toMatch(/identity token in the file .* expired at/);
    const missing = await ci.oauthx(["token", "fed-assertion"], {
      env: { OAUTHX_FED_ASSERTION_ID_TOKEN_FILE: join(root, "absent.jwt") },
    });
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain("cannot read the identity token file");
    expect(Object.values(server.exchanges).reduce((sum, count) => sum + count, 0)).toBe(total);
  });
});
