// Discovery against the quirks of Django OAuth Toolkit 1.7 (issue 24): the document only behind a
// 301 to a trailing-slash address, and metadata that lists no scopes. Both fakes are named after
// their quirk (test/support/quirk-*.ts); no real server here behaves this way on demand.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addProviderFromIssuer } from "../../src/cli/login/issuer.ts";
import { discover } from "../../src/oauth/discovery.ts";
import { fakeContext } from "../support/fake-context.ts";
import {
  startTrailingSlashDiscovery,
  type TrailingSlashDiscovery,
} from "../support/quirk-discovery-trailing-slash.ts";
import { metadataWithoutScopes } from "../support/quirk-metadata-without-scopes.ts";
import { rejection } from "../support/rejection.ts";

describe("discovery behind a same-origin redirect (quirk: discovery-trailing-slash)", () => {
  let dot: TrailingSlashDiscovery;
  let elsewhere: TrailingSlashDiscovery;
  let home: string;
  beforeAll(async () => {
    dot = await startTrailingSlashDiscovery(metadataWithoutScopes);
    // Redirects to the other server: another origin, never followed.
    elsewhere = await startTrailingSlashDiscovery(metadataWithoutScopes, {
      redirectTo: (path) => `${dot.issuer.replace(/\/o$/, "")}${path}/`,
    });
    home = mkdtempSync(join(tmpdir(), "oauthx-dot-"));
  });
  afterAll(async () => {
    await dot?.close();
    await elsewhere?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it("follows the 301 to the trailing-slash address and checks the issuer as before", async () => {
    const metadata = await discover(dot.issuer);
    expect(metadata.issuer).toBe(dot.issuer);
    expect(metadata.token_endpoint).toBe(`${dot.issuer}/token/`);
    expect(dot.paths.slice(-2)).toEqual([
      "/o/.well-known/openid-configuration",
      "/o/.well-known/openid-configuration/",
    ]);
  });

  it("does not follow a redirect to another origin, and names every address tried with its answer", async () => {
    const error = await rejection(discover(elsewhere.issuer));
    expect(error).toMatchObject({ code: "CONFIG_INVALID" });
    const origin = elsewhere.issuer.replace(/\/o$/, "");
    expect(error.message).toBe(
      `no discovery document for ${elsewhere.issuer}: ` +
        `${origin}/o/.well-known/openid-configuration redirected to another origin, ${dot.issuer.replace(/\/o$/, "")}, not followed; ` +
        `${origin}/.well-known/oauth-authorization-server/o answered HTTP 404`,
    );
  });

  it("login --issuer writes only scopes the server lists: openid alone when it lists none, PKCE still sent", async () => {
    const ctx = fakeContext({ home });
    const id = await addProviderFromIssuer(ctx, {
      issuer: dot.issuer,
      clientId: "dot-public",
      name: "Django",
      id: undefined,
      scopes: undefined,
      port: undefined,
    });
    expect(id).toBe("django");
    const text = readFileSync(join(home, "providers.yaml"), "utf8");
    expect(text).toContain("    scopes:\n      - openid\n");
    expect(text).not.toMatch(/offline_access|profile|email/);
    // No code_challenge_methods_supported: "optional", under which S256 is still sent.
    expect(text).toContain("    pkce: optional\n");
  });
});
