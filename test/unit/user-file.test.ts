import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { addUserProvider } from "../../src/providers/user-file.ts";
import { mergeUserProviders } from "../../src/providers/user-providers.ts";
import { rejection } from "../support/rejection.ts";
import { modeOf, useTempHome } from "../support/store-temp-home.ts";

const tempHome = useTempHome();
const acme = { name: "Acme SSO", issuer: "https://sso.acme.example", client_id: "cli-1", scopes: ["openid"] };

function fileIn(text?: string): string {
  const file = path.join(tempHome().root, "providers.yaml");
  if (text !== undefined) fs.writeFileSync(file, text, { mode: 0o600 });
  return file;
}

describe("addUserProvider (oauthx login --issuer)", () => {
  it("creates the file 0600 with one entry the registry reads", async () => {
    const file = fileIn();
    expect(await addUserProvider(file, "acme", acme, "added by oauthx login --issuer")).toEqual({
      file,
      id: "acme",
      created: true,
    });
    expect(modeOf(file)).toBe("0600");
    const text = fs.readFileSync(file, "utf8");
    expect(text).toContain("# added by oauthx login --issuer\n  acme:");
    const [entry] = mergeUserProviders([], text, file);
    expect(entry).toMatchObject({
      id: "acme",
      source: "user",
      definition: { issuer: acme.issuer, pkce: "required" },
    });
  });

  it("adds every entry when several logins add providers at once (lock around read-modify-write)", async () => {
    const file = fileIn();
    const ids = Array.from({ length: 8 }, (_, i) => `acme-${i}`);
    await Promise.all(ids.map((id) => addUserProvider(file, id, { ...acme, name: `Acme ${id}` })));
    const stored = mergeUserProviders([], fs.readFileSync(file, "utf8"), file).map((entry) => entry.id);
    expect(stored.sort()).toEqual(ids);
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
  });

  it("keeps what the file had: entries, comments, order, formatting", async () => {
    const before = [
      "# my providers",
      "providers:",
      "  # GHES at work",
      "  github:",
      "    authorization_endpoint: https://ghe.example.com/login/oauth/authorize   # trailing comment",
      "    token_endpoint: https://ghe.example.com/login/oauth/access_token",
      "  zeta:",
      "    name: Zeta",
      "    issuer: https://zeta.example",
      "    scopes: [openid, email]",
      "",
    ].join("\n");
    const file = fileIn(before);
    await addUserProvider(file, "acme", acme);
    const after = fs.readFileSync(file, "utf8");
    expect(after.startsWith(before)).toBe(true);
    expect(after.slice(before.length)).toBe(
      "  acme:\n    name: Acme SSO\n    issuer: https://sso.acme.example\n    client_id: cli-1\n    scopes:\n      - openid\n",
    );
    expect(modeOf(file)).toBe("0600");
  });

  it("adds providers: to a file that is empty, only comments, or has an empty providers map", async () => {
    for (const text of ["", "# nothing yet\n", "providers:\n", "providers: {}\n"]) {
      const file = fileIn(text);
      await addUserProvider(file, "acme", acme);
      const [entry] = mergeUserProviders([], fs.readFileSync(file, "utf8"), file);
      expect(entry?.id, JSON.stringify(text)).toBe("acme");
      if (text.startsWith("#")) expect(fs.readFileSync(file, "utf8")).toContain("# nothing yet");
    }
  });

  it("refuses an existing id, an invalid entry and a broken file, leaving the file untouched", async () => {
    const existing = "providers:\n  acme:\n    name: Mine\n    issuer: https://mine.example\n";
    const file = fileIn(existing);
    const taken = await rejection(addUserProvider(file, "acme", acme));
    expect(taken.code).toBe("CONFIG_INVALID");
    expect(taken.message).toContain('already has a provider "acme"');
    const invalid = await rejection(
      addUserProvider(file, "other", { name: "X", issuer: "http://insecure.example" }),
    );
    expect(invalid.code).toBe("CONFIG_INVALID");
    expect(invalid.message).toContain("issuer");
    expect((await rejection(addUserProvider(file, "Not_An_Id", acme))).code).toBe("USAGE");
    expect(fs.readFileSync(file, "utf8")).toBe(existing);

    for (const broken of ["providers: [1, 2]\n", "providers:\n  a: b\n c: [\n", "- a list\n"]) {
      const brokenFile = fileIn(broken);
      const error = await rejection(addUserProvider(brokenFile, "acme", acme));
      expect(error.code, broken).toBe("CONFIG_INVALID");
      expect(fs.readFileSync(brokenFile, "utf8")).toBe(broken);
    }
    expect(fs.readdirSync(tempHome().root)).toEqual(["providers.yaml"]);
  });
});
