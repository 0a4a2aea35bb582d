import { describe, expect, it } from "vitest";
import { isOauthxError } from "../../src/errors.ts";
import {
  emptyDocument,
  freezeDeep,
  getEntry,
  parseDocument,
  serializeDocument,
  withDiscovery,
  withEntry,
  withoutEntry,
} from "../../src/store/document.ts";
import { sampleEntry } from "../support/store-temp-home.ts";

const fullEntry = {
  ...sampleEntry("full"),
  account: "ada@example.com",
  id_token_claims: { sub: "123", email_verified: true },
  extra: { instance_url: "https://example.my.salesforce.com" },
  client: { client_id: "cid", client_secret: "client-secret-value" },
  vars: { tenant: "contoso" },
};

function errorOf(run: () => unknown) {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error");
}

describe("store document", () => {
  it("round-trips every documented field, and the discovery cache", () => {
    let doc = withEntry(emptyDocument(), "salesforce", "work", fullEntry);
    doc = withDiscovery(doc, "https://issuer.example", {
      fetched_at: 1_900_000_000,
      token_endpoint: "https://t",
    });
    expect(parseDocument(serializeDocument(doc), "tokens.age")).toEqual(doc);
    expect(getEntry(doc, "salesforce", "work")).toEqual(fullEntry);
    expect(getEntry(doc, "salesforce", "other")).toBeUndefined();
    expect(getEntry(doc, "constructor", "x")).toBeUndefined();
  });

  it("keeps fields it does not know (written by a newer oauthx of the same version)", () => {
    const json = JSON.stringify({
      version: 1,
      future: { a: 1 },
      profiles: { gh: { default: { ...sampleEntry("a"), later_field: "kept" } } },
    });
    const doc = parseDocument(json, "tokens.age");
    const rewritten = JSON.parse(serializeDocument(withEntry(doc, "gh", "second", sampleEntry("b"))));
    expect(rewritten.future).toEqual({ a: 1 });
    expect(rewritten.profiles.gh.default.later_field).toBe("kept");
  });

  it("refuses a newer version with STORE_VERSION and an upgrade remedy", () => {
    const error = errorOf(() => parseDocument(JSON.stringify({ version: 2, profiles: {} }), "/h/tokens.age"));
    expect(isOauthxError(error, "STORE_VERSION")).toBe(true);
    expect((error as { remedy: string }).remedy).toBe("upgrade oauthx");
  });

  it.each([
    ["not JSON", "{"],
    ["no version", JSON.stringify({ profiles: {} })],
    ["version 0", JSON.stringify({ version: 0, profiles: {} })],
    ["string version", JSON.stringify({ version: "2", profiles: {} })],
    ["array", "[]"],
    [
      "entry without access_token",
      JSON.stringify({
        version: 1,
        profiles: { gh: { d: { token_type: "b", scopes: [], obtained_at: 1 } } },
      }),
    ],
    [
      "fractional expires_at",
      JSON.stringify({ version: 1, profiles: { gh: { d: { ...sampleEntry("x"), expires_at: 1.5 } } } }),
    ],
    [
      "non-string extra",
      JSON.stringify({ version: 1, profiles: { gh: { d: { ...sampleEntry("x"), extra: { n: 1 } } } } }),
    ],
    [
      "discovery without fetched_at",
      JSON.stringify({ version: 1, profiles: {}, discovery: { "https://i": {} } }),
    ],
  ])("refuses %s with STORE_CORRUPT", (_name, json) => {
    expect(
      isOauthxError(
        errorOf(() => parseDocument(json, "tokens.age")),
        "STORE_CORRUPT",
      ),
    ).toBe(true);
  });

  it("names where the problem is, never the value", () => {
    const secret = "tok-SECRET-123";
    const json = JSON.stringify({
      version: 1,
      profiles: { gh: { d: { ...sampleEntry("x"), access_token: secret, scopes: secret } } },
    });
    const error = errorOf(() => parseDocument(json, "tokens.age")) as Error & { remedy: string };
    expect(error.message).toContain("profiles.gh.d.scopes");
    expect(`${error.message} ${error.remedy}`).not.toContain(secret);
  });

  it("removes entries, and a provider left without profiles", () => {
    const doc = withEntry(
      withEntry(emptyDocument(), "gh", "a", sampleEntry("a")),
      "gh",
      "b",
      sampleEntry("b"),
    );
    expect(Object.keys(withoutEntry(doc, "gh", "a").profiles.gh!)).toEqual(["b"]);
    expect(withoutEntry(withoutEntry(doc, "gh", "a"), "gh", "b").profiles).toEqual({});
    expect(withoutEntry(doc, "nope", "a")).toBe(doc);
  });

  it("freezes deeply, so an in-place edit throws instead of being lost", () => {
    const doc = freezeDeep(withEntry(emptyDocument(), "gh", "a", sampleEntry("a")));
    expect(() => {
      doc.profiles.gh!.a!.access_token = "changed";
    }).toThrow(TypeError);
  });
});
