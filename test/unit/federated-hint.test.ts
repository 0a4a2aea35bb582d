// Which providers may be in federated CI mode, decided without the registry where that is certain
// (providers/federated-hint.ts): outside CI none; under GitHub Actions a federated built-in, or any
// provider when the user's providers file could declare `federation`; an OAUTHX_<ID>_ID_TOKEN(_FILE)
// always. A "maybe" goes to the registry, as before; a "no" must never hide a federated provider.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { mayBeFederated } from "../../src/providers/federated-hint.ts";
import { federatedBuiltinIds } from "../../src/providers/generated/federated.ts";
import { builtinProviders } from "../../src/providers/generated/index.ts";

describe("mayBeFederated", () => {
  const root = mkdtempSync(join(tmpdir(), "oauthx-fed-hint-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let homes = 0;
  const home = (providersYaml?: string) => {
    const dir = join(root, `home-${homes++}`);
    mkdirSync(dir, { mode: 0o700 });
    if (providersYaml !== undefined)
      writeFileSync(join(dir, "providers.yaml"), providersYaml, { mode: 0o600 });
    return dir;
  };
  const actions = { GITHUB_ACTIONS: "true", ACTIONS_ID_TOKEN_REQUEST_URL: "https://runner.invalid/?x=1" };

  it("the generated list is exactly the built-ins with a federation block", () => {
    const federated = Object.entries(builtinProviders)
      .filter(([, definition]) => "federation" in definition && definition.federation !== undefined)
      .map(([id]) => id);
    expect([...federatedBuiltinIds].sort()).toEqual(federated.sort());
    expect(federated.length).toBeGreaterThan(0);
  });

  it("outside CI: no provider, whatever the files say", () => {
    const dir = home("providers:\n  acme:\n    federation: {grant: jwt-bearer, audience: a}\n");
    expect(mayBeFederated(dir, {}, "entra")).toBe(false);
    expect(mayBeFederated(dir, {}, "acme")).toBe(false);
  });

  it("under GitHub Actions without a providers file: the federated built-ins only", () => {
    const dir = home();
    for (const env of [
      actions,
      { GITHUB_ACTIONS: "true" },
      { ACTIONS_ID_TOKEN_REQUEST_URL: "https://r/?x" },
    ]) {
      expect(mayBeFederated(dir, env, "github")).toBe(false);
      for (const id of federatedBuiltinIds) expect(mayBeFederated(dir, env, id)).toBe(true);
    }
  });

  it("a providers file that does not spell federation adds none; one that does (or may) sends every provider to the registry", () => {
    const plain = home(
      "providers:\n  github:\n    client_id: Iv1.abc\n  acme:\n    issuer: https://sso.acme.example\n",
    );
    expect(mayBeFederated(plain, actions, "github")).toBe(false);
    expect(mayBeFederated(plain, actions, "acme")).toBe(false);
    const federated = home(
      "providers:\n  acme:\n    token_endpoint: https://t\n    federation:\n      grant: jwt-bearer\n",
    );
    expect(mayBeFederated(federated, actions, "acme")).toBe(true);
    expect(mayBeFederated(federated, actions, "github")).toBe(true);
    // A YAML escape can spell the key without the word.
    const escaped = home('providers:\n  acme:\n    "\\x66ederation": {grant: jwt-bearer}\n');
    expect(mayBeFederated(escaped, actions, "acme")).toBe(true);
  });

  it("a providers file that cannot be read: the registry decides (and reports it)", () => {
    const dir = home();
    mkdirSync(join(dir, "providers.yaml"));
    expect(mayBeFederated(dir, actions, "github")).toBe(true);
  });

  it("OAUTHX_<ID>_ID_TOKEN or _ID_TOKEN_FILE names the provider: maybe, in or out of GitHub Actions", () => {
    const dir = home();
    expect(mayBeFederated(dir, { OAUTHX_ACME_ID_TOKEN: "x" }, "acme")).toBe(true);
    expect(mayBeFederated(dir, { OAUTHX_ACME_ID_TOKEN_FILE: "/f" }, "acme")).toBe(true);
    expect(mayBeFederated(dir, { OAUTHX_ACME_ID_TOKEN: "x" }, "github")).toBe(false);
  });
});
