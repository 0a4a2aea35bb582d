// The compiled binary against oidc-provider with LemonLDAP::NG 2.16's quirks layered on (issue 24):
// a dead refresh token answered `invalid_request`, Basic credentials not form-decoded, and
// offline_access honoured only with prompt=consent (oidc-provider's own policy, OIDC Core §11).

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AuthServer,
  CONFIDENTIAL_CLIENT_ID,
  CONFIDENTIAL_CLIENT_SECRET,
  localProviderYaml,
  NATIVE_CLIENT_ID,
  startAuthServer,
} from "../support/auth-server.ts";
import { type CliHarness, cliHarness } from "../support/cli-harness.ts";
import { refuseFormEncodedBasicCredentials } from "../support/quirk-basic-auth-not-form-decoded.ts";
import { rejectDeadRefreshAsInvalidRequest } from "../support/quirk-refresh-rejected-as-invalid-request.ts";

async function revoke(server: AuthServer, refreshToken: string): Promise<void> {
  const response = await fetch(server.endpoints.revocation_endpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      token: refreshToken,
      token_type_hint: "refresh_token",
      client_id: NATIVE_CLIENT_ID,
    }),
  });
  await response.body?.cancel();
  expect(response.status).toBe(200);
}

describe("LemonLDAP::NG quirks", () => {
  let server: AuthServer;
  let cli: CliHarness;
  let renamed: { renamed: number };
  let basic: { refused: number };
  beforeAll(async () => {
    server = await startAuthServer({ accessTokenTtl: 600 });
    renamed = rejectDeadRefreshAsInvalidRequest(server);
    basic = refuseFormEncodedBasicCredentials(server);
    cli = cliHarness(server, {
      providerYaml: [
        localProviderYaml(server),
        "  conf:",
        "    name: Confidential",
        `    issuer: ${server.issuer}`,
        `    client_id: ${CONFIDENTIAL_CLIENT_ID}`,
        "    client_auth: client_secret_basic",
        "    scopes: [openid, offline_access]",
        "",
      ].join("\n"),
    });
  });
  afterAll(async () => {
    cli?.cleanup();
    await server?.close();
  });

  it("a refresh refused with invalid_request after earlier refreshes worked is a refused refresh token", async () => {
    expect((await cli.oauthx(["login", "local", "--timeout", "30s"])).code).toBe(0);
    const first = await cli.oauthx(["refresh", "local"]);
    expect(first.code, first.stderr).toBe(0);
    const spent = (await cli.oauthx(["export", "local", "--refresh-token"])).stdout.trim();
    await revoke(server, spent);

    const refused = await cli.oauthx(["refresh", "local"]);
    expect(renamed.renamed).toBeGreaterThan(0);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toContain("[REFRESH_REJECTED]");
    expect(refused.stderr).toContain("run `oauthx login local`");
    const [row] = JSON.parse((await cli.oauthx(["status", "local", "--json"])).stdout);
    expect(row).toMatchObject({ provider: "local", state: "refresh refused" });

    // In CI mode, from the same dead token as the seed: no remedy names `oauthx login`.
    const ci = await cli.oauthx(["token", "local"], {
      env: { OAUTHX_LOCAL_REFRESH_TOKEN: spent, OAUTHX_CI_CACHE: "off" },
    });
    expect(ci.code).toBe(6);
    expect(ci.stderr).not.toContain("oauthx login");
    expect(ci.stderr).toContain("re-seed OAUTHX_LOCAL_REFRESH_TOKEN");

    // A new login clears the refusal.
    expect((await cli.oauthx(["login", "local", "--timeout", "30s"])).code).toBe(0);
    const [after] = JSON.parse((await cli.oauthx(["status", "local", "--json"])).stdout);
    expect(after.state).toBe("valid");
  });

  it("a Basic client authentication refused names the server's missing form-decoding and client_secret_post", async () => {
    const result = await cli.oauthx(["login", "conf", "--timeout", "30s"], {
      env: { OAUTHX_CONF_CLIENT_SECRET: CONFIDENTIAL_CLIENT_SECRET },
    });
    expect(basic.refused).toBe(1);
    expect(result.code).toBe(6);
    expect(result.stderr).toContain("(invalid_client");
    expect(result.stderr).toContain("form-decode Basic credentials (RFC 6749 §2.3.1)");
    expect(result.stderr).toContain("client_auth: client_secret_post");
    expect(result.stderr).not.toContain(CONFIDENTIAL_CLIENT_SECRET);
  });
});

describe("offline_access honoured only with prompt=consent (OIDC Core §11)", () => {
  let server: AuthServer;
  let cli: CliHarness;
  beforeAll(async () => {
    server = await startAuthServer({ accessTokenTtl: 600, offlineAccessNeedsConsent: true });
    cli = cliHarness(server);
  });
  afterAll(async () => {
    cli?.cleanup();
    await server?.close();
  });

  it("login says no refresh token came and why; refresh says there is none; prompt=consent fixes it", async () => {
    const login = await cli.oauthx(["login", "local", "--timeout", "30s"]);
    expect(login.code, login.stderr).toBe(0);
    expect(login.stderr).toContain(
      "warning: Local Test Server issued no refresh token although offline_access was asked for",
    );
    expect(login.stderr).toContain("add `authorize_params: { prompt: consent }` to the provider entry");

    const refresh = await cli.oauthx(["refresh", "local"]);
    expect(refresh.code).toBe(4);
    expect(refresh.stderr).toContain(
      "the local login has no refresh token (the server issued none); its token is valid for",
    );
    expect(refresh.stderr).not.toContain("expired");

    writeFileSync(
      join(cli.home, "providers.yaml"),
      `${localProviderYaml(server)}    authorize_params: { prompt: consent }\n`,
    );
    const again = await cli.oauthx(["login", "local", "--timeout", "30s"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain("no refresh token");
    const [row] = JSON.parse((await cli.oauthx(["status", "local", "--json"])).stdout);
    expect(row.refresh_token).toBe(true);
  });
});
