// `login --device` says how long the code it shows stays valid (RFC 8628 §3.2 expires_in), on the
// compiled binary against oidc-provider, so a person who steps away knows whether to start over.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthServer, startAuthServer } from "../support/auth-server.ts";
import { type CliHarness, cliHarness } from "../support/cli-harness.ts";

describe("device flow", () => {
  let server: AuthServer;
  let cli: CliHarness;
  beforeAll(async () => {
    server = await startAuthServer({ accessTokenTtl: 600 });
    cli = cliHarness(server);
  });
  afterAll(async () => {
    cli?.cleanup();
    await server?.close();
  });

  it("says when the code expires, in minutes and on the clock", async () => {
    const result = await cli.oauthx(["login", "local", "--device"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/and enter the code: \S+\nThe code expires in \d+m \(at \d\d:\d\d\)\.\n/);
  }, 60_000);
});
