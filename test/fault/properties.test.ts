// Property tests for every parser that reads something from outside: the authorization callback
// (query string or a pasted URL), the token endpoint's answer, the user's providers file and the
// store (its JSON document, and the encrypted file around it). Random and mutated inputs must
// give a result or a typed OauthxError — never another exception, and never a partial write.
//
// numRuns are bounded so the whole file runs in a few seconds on two cores; the seed is printed
// by fast-check on failure, so a failure can be replayed with `{ seed, path }`.

import * as fs from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { isOauthxError, OauthxError } from "../../src/errors.ts";
import { judgeAuthorizationResponse, parseRedirectedUrl } from "../../src/oauth/authorization-response.ts";
import { parseTokenResponse } from "../../src/oauth/token-endpoint.ts";
import type { TokenResponseQuirks } from "../../src/oauth/types.ts";
import { builtinProviders } from "../../src/providers/generated/index.ts";
import type { ProviderEntry } from "../../src/providers/registry.ts";
import type { BuiltinProvider } from "../../src/providers/schema.ts";
import { mergeUserProviders } from "../../src/providers/user-providers.ts";
import { parseDocument, serializeDocument, withEntry } from "../../src/store/document.ts";
import { openStore } from "../../src/store/file/store.ts";

/** Runs `f`; returns its value, or the OauthxError it threw. Anything else fails the property. */
function typedOutcome<T>(f: () => T): T | OauthxError {
  try {
    return f();
  } catch (error) {
    if (error instanceof OauthxError) return error;
    throw new Error(`not an OauthxError: ${(error as Error)?.stack ?? String(error)}`);
  }
}

async function typedOutcomeAsync<T>(f: () => Promise<T>): Promise<T | OauthxError> {
  try {
    return await f();
  } catch (error) {
    if (error instanceof OauthxError) return error;
    throw new Error(`not an OauthxError: ${(error as Error)?.stack ?? String(error)}`);
  }
}

/** Text with the characters parsers trip on: delimiters, escapes, quotes, control and non-ASCII. */
const nastyChar = fc.constantFrom(..."&=?#%+ /:;,{}[]\"'\\\n\r\t\u0000\u00e9\u2028\ud83d\ude00".split(""));
const nastyString = fc
  .array(
    fc.oneof({ weight: 3, arbitrary: fc.string({ maxLength: 4 }) }, { weight: 1, arbitrary: nastyChar }),
    {
      maxLength: 12,
    },
  )
  .map((parts) => parts.join(""));

/** A random edit of a valid text: cut, insert or replace at a random place. */
function mutated(valid: string): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.nat({ max: valid.length }),
      fc.nat({ max: 8 }),
      nastyString,
      fc.constantFrom("cut", "insert", "replace"),
    )
    .map(([at, length, text, how]) => {
      if (how === "cut") return valid.slice(0, at);
      if (how === "insert") return valid.slice(0, at) + text + valid.slice(at);
      return valid.slice(0, at) + text + valid.slice(at + length);
    });
}

describe("callback parser: judgeAuthorizationResponse / parseRedirectedUrl", () => {
  const expect_ = { state: "s7a7e-of-this-login", issuer: "https://issuer.example" };
  const paramName = fc.oneof(
    fc.constantFrom("code", "state", "iss", "error", "error_description"),
    nastyString,
  );
  const paramValue = fc.oneof(
    fc.constantFrom(expect_.state, expect_.issuer, "abc", "", "access_denied"),
    nastyString,
  );
  const randomPairs = fc.array(fc.tuple(paramName, paramValue), { maxLength: 6 });
  // A valid response with at most one thing changed: dropped, repeated or given another value.
  const nearlyValid = fc
    .tuple(fc.subarray(["code", "state", "iss"] as const), fc.option(fc.tuple(paramName, paramValue)))
    .map(([dropped, extra]) => {
      const pairs: [string, string][] = [
        ["code", "c0de"],
        ["state", expect_.state],
        ["iss", expect_.issuer],
      ];
      const kept = pairs.filter(([name]) => !(dropped as readonly string[]).includes(name));
      return extra === null ? kept : [...kept, extra];
    });
  const params = fc.oneof(randomPairs, nearlyValid);

  it("random query parameters: a verdict, never an exception; a code only with our state and issuer", () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(params, fc.boolean(), fc.boolean(), (pairs, issRequired, denyEmpty) => {
        const query = new URLSearchParams(pairs);
        const verdict = judgeAuthorizationResponse(query, {
          ...expect_,
          iss_required: issRequired,
          deny_returns_no_params: denyEmpty,
        });
        seen.add(verdict.kind);
        if (verdict.kind === "fail") expect(verdict.error).toBeInstanceOf(OauthxError);
        if (verdict.kind === "code") {
          expect(query.getAll("state")).toEqual([expect_.state]);
          expect(verdict.result.code).not.toBe("");
          const iss = query.get("iss");
          expect(iss === null ? !issRequired : iss === expect_.issuer).toBe(true);
        }
      }),
      { numRuns: 400 },
    );
    // The generators reach every branch, or the property proves little.
    expect([...seen].sort()).toEqual(["code", "fail", "ignore"]);
  });

  it("random and mutated pasted URLs: a code or a typed error", () => {
    const redirect = "http://127.0.0.1:5173/callback";
    const valid = `${redirect}?code=c0de&state=${expect_.state}&iss=${encodeURIComponent(expect_.issuer)}`;
    const seen = new Set<string>();
    fc.assert(
      fc.property(fc.oneof(mutated(valid), nastyString, fc.string()), (pasted) => {
        const outcome = typedOutcome(() =>
          parseRedirectedUrl(pasted, { ...expect_, redirect_uri: redirect }),
        );
        seen.add(outcome instanceof OauthxError ? outcome.code : "code");
        if (!(outcome instanceof OauthxError)) expect(outcome.code).not.toBe("");
      }),
      { numRuns: 400 },
    );
    expect(seen).toContain("code");
    expect(seen).toContain("INVALID_RESPONSE");
  });
});

describe("token response parser: parseTokenResponse", () => {
  const validBody = {
    access_token: "at-1",
    token_type: "Bearer",
    expires_in: 3600,
    refresh_token: "rt-1",
    scope: "openid email",
  };
  const jsonValue = fc.jsonValue({ maxDepth: 2 });
  const body = fc.oneof(
    fc.constant(JSON.stringify(validBody)),
    fc.constant(JSON.stringify({ ok: true, authed_user: validBody })),
    mutated(JSON.stringify(validBody)),
    mutated("access_token=at-1&token_type=bearer&scope=repo%2Cuser"),
    jsonValue.map((value) => JSON.stringify(value)),
    fc
      .record(
        {
          access_token: fc.oneof(fc.string(), jsonValue),
          token_type: fc.oneof(fc.constantFrom("Bearer", "bearer", "DPoP", "mac"), jsonValue),
          expires_in: fc.oneof(fc.integer(), fc.double(), fc.string(), jsonValue),
          refresh_token: fc.oneof(fc.string(), jsonValue),
          scope: fc.oneof(fc.string(), jsonValue),
          error: fc.oneof(fc.constantFrom("invalid_grant", "invalid_client"), jsonValue),
          ok: fc.oneof(fc.boolean(), jsonValue),
          authed_user: jsonValue,
        },
        { requiredKeys: [] },
      )
      .map((value) => JSON.stringify(value)),
    fc.constant("<html><body><h1>502 Bad Gateway</h1></body></html>"),
    nastyString,
  );
  const contentType = fc.constantFrom(
    "application/json",
    "application/json; charset=utf-8",
    "application/x-www-form-urlencoded",
    "text/html",
    "text/plain",
    "",
  );
  const someQuirks: fc.Arbitrary<TokenResponseQuirks> = fc.record(
    {
      nested_in: fc.constant("authed_user"),
      ok_field: fc.constant("ok"),
      scope_separator: fc.constantFrom(" " as const, "," as const),
      keep: fc.constant(["instance_url"]),
      expires_from: fc.constantFrom("expires_in" as const, "jwt_exp" as const),
      // The schema allows 1 or more (providers/schema.ts).
      default_expires_in: fc.integer({ min: 1, max: 7200 }),
    },
    { requiredKeys: [] },
  );
  const quirks = fc.oneof(fc.constant({}), someQuirks);

  it("random, mutated and hostile answers: tokens or a typed error", () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(
        fc.oneof(fc.constant(200), fc.constantFrom(201, 204, 302, 400, 401, 429, 500, 502, 503)),
        contentType,
        body,
        quirks,
        fc.constantFrom("authorization_code" as const, "refresh_token" as const, "device_code" as const),
        (status, type, text, response, grant) => {
          const headers = new Headers(type === "" ? {} : { "content-type": type });
          const outcome = typedOutcome(() =>
            parseTokenResponse({ status, headers, body: text }, { response }, { grant, host: "as.example" }),
          );
          seen.add(outcome instanceof OauthxError ? outcome.code : "tokens");
          if (outcome instanceof OauthxError) {
            // A message quotes no token the server sent.
            expect(outcome.message).not.toContain("at-1");
            expect(outcome.message).not.toContain("rt-1");
            return;
          }
          expect(status >= 200 && status < 300).toBe(true);
          expect(typeof outcome.access_token).toBe("string");
          expect(outcome.access_token).not.toBe("");
          expect(outcome.token_type).toBe("Bearer");
          if (outcome.expires_in !== undefined) {
            expect(Number.isInteger(outcome.expires_in) && outcome.expires_in > 0).toBe(true);
          }
        },
      ),
      // Found by this property: a lifetime under one second floored to 0 (expired on arrival).
      {
        numRuns: 600,
        examples: [
          [200, "application/json", '{"access_token":"x","expires_in":5e-324}', {}, "refresh_token"],
        ],
      },
    );
    for (const kind of ["tokens", "INVALID_RESPONSE", "TOKEN_EXCHANGE_FAILED"]) expect(seen).toContain(kind);
    for (const kind of seen) {
      expect(["tokens", "INVALID_RESPONSE", "TOKEN_EXCHANGE_FAILED", "REFRESH_REJECTED"]).toContain(kind);
    }
  });
});

describe("providers file: the schema through mergeUserProviders (YAML + valibot)", () => {
  const builtins: ProviderEntry[] = Object.entries(builtinProviders).map(([id, definition]) => ({
    id,
    source: "builtin",
    overrides: [],
    definition: definition as BuiltinProvider,
  }));
  const validFile = [
    "providers:",
    "  github:",
    "    token_endpoint: https://ghe.example.com/login/oauth/access_token",
    "  acme:",
    "    name: Acme SSO",
    "    issuer: https://sso.acme.example",
    "    client_id: my-client-id",
    "    scopes: [openid, email]",
    "    redirect: {host: 127.0.0.1, path: /callback, ports: [8080]}",
    "    env: [ACME_TOKEN]",
    "",
  ].join("\n");
  const field = fc.constantFrom(
    "name",
    "issuer",
    "token_endpoint",
    "authorization_endpoint",
    "client_auth",
    "pkce",
    "scopes",
    "scope_separator",
    "redirect",
    "env",
    "template_vars",
    "token_response",
    "refresh",
    "headers",
    "nonsense",
  );
  const value = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom("http://example.com/token", "https://ok.example/t", "{tenant}", "none", " ", ","),
  );
  const providerObject = fc.dictionary(field, value, { maxKeys: 5 });
  const randomFile = fc
    .dictionary(
      fc.oneof(fc.constantFrom("github", "acme", "Bad Id"), fc.string({ maxLength: 6 })),
      providerObject,
      {
        maxKeys: 3,
      },
    )
    .map((providers) => stringify({ providers }));

  it("random, mutated and structurally wrong files: providers or CONFIG_INVALID", () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(fc.oneof(mutated(validFile), randomFile, nastyString), (text) => {
        const outcome = typedOutcome(() =>
          mergeUserProviders(builtins, text, "/home/u/.config/oauthx/providers.yaml"),
        );
        seen.add(outcome instanceof OauthxError ? outcome.code : "providers");
        if (outcome instanceof OauthxError) {
          expect(outcome.code).toBe("CONFIG_INVALID");
          expect(outcome.message).toContain("providers.yaml");
        } else {
          for (const entry of outcome) expect(typeof entry.definition.name).toBe("string");
        }
      }),
      // Found by this property: an alias before its anchor crashed (INTERNAL) instead of CONFIG_INVALID.
      { numRuns: 300, examples: [["providers:\n  x: *a\n"], ["*!"]] },
    );
    expect([...seen].sort()).toEqual(["CONFIG_INVALID", "providers"]);
  });
});

describe("store document: parseDocument", () => {
  const entry = {
    access_token: "at",
    token_type: "Bearer",
    refresh_token: "rt",
    expires_at: 1_900_000_000,
    scopes: ["a"],
    obtained_at: 1_800_000_000,
  };
  const valid = serializeDocument(withEntry({ version: 1, profiles: {} }, "github", "default", entry));

  it("random and mutated documents: a document or STORE_CORRUPT / STORE_VERSION", () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(
        fc.oneof(
          mutated(valid),
          fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
          fc
            .record({
              version: fc.oneof(fc.constant(1), fc.jsonValue()),
              profiles: fc.jsonValue({ maxDepth: 3 }),
            })
            .map((value) => JSON.stringify(value)),
        ),
        (json) => {
          const outcome = typedOutcome(() => parseDocument(json, "/tmp/tokens.age"));
          seen.add(outcome instanceof OauthxError ? outcome.code : "document");
          if (outcome instanceof OauthxError) {
            expect(["STORE_CORRUPT", "STORE_VERSION"]).toContain(outcome.code);
            expect(outcome.message).not.toContain('"at"');
          } else {
            expect(outcome.version).toBe(1);
          }
        },
      ),
      { numRuns: 500 },
    );
    expect(seen).toContain("document");
    expect(seen).toContain("STORE_CORRUPT");
  });
});

describe("store file: damaged bytes are refused and never overwritten", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("a mutated tokens.age: read → typed error; update → typed error, bytes unchanged, no temp file", async () => {
    const template = mkdtempSync(join(tmpdir(), "oauthx-prop-store-"));
    dirs.push(template);
    const home = join(template, "home");
    const store = openStore({ home, env: {} });
    await store.update((document) =>
      withEntry(document, "github", "default", {
        access_token: "at",
        token_type: "Bearer",
        scopes: [],
        obtained_at: 1_800_000_000,
      }),
    );
    const original = fs.readFileSync(store.paths.store);
    const identity = fs.readFileSync(store.paths.identity);

    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          // One flipped byte anywhere: header, MAC, nonce or payload.
          fc
            .tuple(fc.nat({ max: original.length - 1 }), fc.integer({ min: 1, max: 255 }))
            .map(([at, xor]) => {
              const copy = Buffer.from(original);
              copy[at] = copy[at]! ^ xor;
              return copy;
            }),
          fc.nat({ max: original.length - 1 }).map((at) => original.subarray(0, at)),
          fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
        ),
        async (bytes) => {
          const dir = mkdtempSync(join(tmpdir(), "oauthx-prop-case-"));
          try {
            const caseHome = join(dir, "home");
            fs.mkdirSync(caseHome, { mode: 0o700 });
            fs.writeFileSync(join(caseHome, "identity.txt"), identity, { mode: 0o600 });
            fs.writeFileSync(join(caseHome, "tokens.age"), bytes, { mode: 0o600 });
            const damaged = openStore({ home: caseHome, env: {}, lockTimeoutMs: 1000 });
            const read = await typedOutcomeAsync(() => damaged.read());
            const write = await typedOutcomeAsync(() =>
              damaged.update((document) =>
                withEntry(document, "other", "default", document.profiles.github!.default!),
              ),
            );
            const after = fs.readFileSync(join(caseHome, "tokens.age"));
            if (read instanceof OauthxError) {
              expect(["STORE_CORRUPT", "DECRYPT_FAILED"]).toContain(read.code);
              expect(isOauthxError(write)).toBe(true);
              expect(after.equals(bytes)).toBe(true);
            } else {
              // Only a change that age cannot see (none expected) may still decrypt.
              expect(read.profiles.github?.default?.access_token).toBe("at");
            }
            expect(
              fs.readdirSync(caseHome).filter((name) => name.endsWith(".tmp") || name.endsWith(".lock")),
            ).toEqual([]);
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
