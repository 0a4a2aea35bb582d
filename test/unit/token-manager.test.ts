import { describe, expect, it } from "vitest";
import {
  isFresh,
  jwtExpiry,
  type RefreshedTokens,
  requiredSeconds,
  TokenManager,
} from "../../src/core/token-manager.ts";
import { OauthxError } from "../../src/errors.ts";
import { emptyDocument, getEntry, type TokenEntry, withEntry } from "../../src/store/document.ts";
import { openStore } from "../../src/store/file/store.ts";
import { fingerprint, useTempHome } from "../support/store-temp-home.ts";

const NOW = 1_800_000_000_000;
const base: TokenEntry = {
  access_token: "old-access",
  token_type: "Bearer",
  refresh_token: "refresh-1",
  expires_at: NOW / 1000 - 10,
  scopes: ["read"],
  obtained_at: NOW / 1000 - 3600,
};

function jwt(payload: object): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "none" })}.${part(payload)}.sig`;
}

describe("TokenManager", () => {
  const tempHome = useTempHome();

  async function setup(entry: TokenEntry = base) {
    const store = openStore({ home: tempHome().home, env: {}, now: () => NOW });
    await store.update((document) => withEntry(document, "acme", "default", entry));
    let refreshes = 0;
    const manager = new TokenManager({ store, now: () => NOW });
    const refresher = async (stored: TokenEntry): Promise<RefreshedTokens> => {
      refreshes += 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return {
        access_token: `access-${refreshes}`,
        token_type: "Bearer",
        expires_in: 3600,
        refresh_token: `${stored.refresh_token}-rotated`,
      };
    };
    return { store, manager, refresher, refreshes: () => refreshes };
  }

  it("returns a token valid for minTtl without refreshing or writing", async () => {
    const { manager, refresher, refreshes, store } = await setup({ ...base, expires_at: NOW / 1000 + 3600 });
    const before = fingerprint(store.paths.store);
    const token = await manager.getToken({ provider: "acme", profile: "default", refresher });
    expect(token.access_token).toBe("old-access");
    expect(refreshes()).toBe(0);
    expect(fingerprint(store.paths.store)).toEqual(before);
  });

  it("refreshes an expired token and stores the rotated refresh token", async () => {
    const { manager, refresher, refreshes, store } = await setup();
    const token = await manager.getToken({ provider: "acme", profile: "default", refresher });
    expect(token.access_token).toBe("access-1");
    expect(token.expires_at).toBe(NOW / 1000 + 3600);
    expect(refreshes()).toBe(1);
    const stored = getEntry(await store.read(), "acme", "default");
    expect(stored?.refresh_token).toBe("refresh-1-rotated");
    expect(stored?.scopes).toEqual(["read"]);
  });

  it("refreshes when the token expires within minTtl (+ skew)", async () => {
    const { manager, refresher, refreshes } = await setup({ ...base, expires_at: NOW / 1000 + 120 });
    await manager.getToken({ provider: "acme", profile: "default", refresher, minTtlSeconds: 60 });
    expect(refreshes()).toBe(0);
    await manager.getToken({ provider: "acme", profile: "default", refresher, minTtlSeconds: 600 });
    expect(refreshes()).toBe(1);
  });

  it("50 concurrent getToken() calls in one process share one refresh", async () => {
    const { manager, refresher, refreshes } = await setup();
    const tokens = await Promise.all(
      Array.from({ length: 50 }, () => manager.getToken({ provider: "acme", profile: "default", refresher })),
    );
    expect(refreshes()).toBe(1);
    expect(new Set(tokens.map((token) => token.access_token))).toEqual(new Set(["access-1"]));
  });

  it("a second manager (another process) finds the refreshed token under the lock and does not refresh", async () => {
    const { manager, refresher, refreshes } = await setup();
    const other = new TokenManager({
      store: openStore({ home: tempHome().home, env: {}, now: () => NOW }),
      now: () => NOW,
    });
    const [a, b] = await Promise.all([
      manager.getToken({ provider: "acme", profile: "default", refresher }),
      other.getToken({ provider: "acme", profile: "default", refresher }),
    ]);
    expect(refreshes()).toBe(1);
    expect(a.access_token).toBe(b.access_token);
  });

  it("no stored login: AUTH_REQUIRED naming the login command, and never a refresh", async () => {
    const { manager, refresher, refreshes } = await setup();
    const error = await manager.getToken({ provider: "other", profile: "work", refresher }).catch((e) => e);
    expect(error).toBeInstanceOf(OauthxError);
    expect(error.code).toBe("AUTH_REQUIRED");
    expect(error.remedy).toBe("run `oauthx login other --profile work`");
    expect(refreshes()).toBe(0);
  });

  it("expired with no refresh token: AUTH_REQUIRED", async () => {
    const { refresh_token: _, ...noRefresh } = base;
    const { manager, refresher } = await setup(noRefresh);
    await expect(manager.getToken({ provider: "acme", profile: "default", refresher })).rejects.toMatchObject(
      {
        code: "AUTH_REQUIRED",
      },
    );
  });

  it("a rejected refresh uses the store's newer token when someone else rotated it", async () => {
    const { store } = await setup();
    const rejecting = async (): Promise<RefreshedTokens> => {
      throw new OauthxError("REFRESH_REJECTED", "invalid_grant");
    };
    // Another host rotated the token while our request was in flight: by the time of the re-read,
    // the store holds a fresh token with a new refresh token.
    const racing = {
      read: store.read,
      update: async (change: Parameters<typeof store.update>[0]) => {
        try {
          return await store.update(change);
        } finally {
          await store.update((document) =>
            withEntry(document, "acme", "default", {
              ...base,
              access_token: "theirs",
              refresh_token: "refresh-2",
              expires_at: NOW / 1000 + 3600,
            }),
          );
        }
      },
    };
    const racingManager = new TokenManager({ store: racing, now: () => NOW });
    const token = await racingManager.getToken({
      provider: "acme",
      profile: "default",
      refresher: rejecting,
    });
    expect(token.access_token).toBe("theirs");
  });

  it("a rejected refresh with no newer token is REFRESH_REJECTED", async () => {
    const { manager } = await setup();
    const rejecting = async (): Promise<RefreshedTokens> => {
      throw new OauthxError("REFRESH_REJECTED", "the refresh token was rejected", {
        remedy: "run `oauthx login acme`",
      });
    };
    await expect(
      manager.getToken({ provider: "acme", profile: "default", refresher: rejecting }),
    ).rejects.toMatchObject({
      code: "REFRESH_REJECTED",
    });
  });

  it("a 60-second token serves calls for half its life, then one call refreshes it", async () => {
    const { store, refresher, refreshes } = await setup({
      ...base,
      obtained_at: NOW / 1000,
      expires_at: NOW / 1000 + 60,
    });
    let clock = NOW;
    const manager = new TokenManager({ store, now: () => clock });
    // min-ttl 60 + 30 s skew is more than the token's whole life: capped at half of it (30 s).
    const call = () =>
      manager.getToken({ provider: "acme", profile: "default", refresher, minTtlSeconds: 60 });
    for (const at of [0, 10_000, 29_000]) {
      clock = NOW + at;
      await call();
    }
    expect(refreshes()).toBe(0);
    clock = NOW + 31_000;
    await call();
    await call();
    expect(refreshes()).toBe(1);
  });

  it("exec's 5-minute default on a fresh 5-minute token does not refresh", async () => {
    const issued = { ...base, obtained_at: NOW / 1000, expires_at: NOW / 1000 + 300 };
    const { manager, refresher, refreshes } = await setup(issued);
    for (let call = 0; call < 3; call++) {
      await manager.getToken({ provider: "acme", profile: "default", refresher, minTtlSeconds: 300 });
    }
    expect(refreshes()).toBe(0);
  });

  it("takes a token another process obtained while we waited, even one shorter than minTtl", async () => {
    const { store, refresher, refreshes } = await setup();
    // Between our unlocked read and our turn at the lock, another process refreshed: its token
    // lives 4 s, far less than minTtl + skew and less than half of... anything we could ask.
    const waiting = {
      read: store.read,
      update: async (change: Parameters<typeof store.update>[0]) => {
        await store.update((document) =>
          withEntry(document, "acme", "default", {
            ...base,
            access_token: "theirs",
            refresh_token: "refresh-2",
            obtained_at: NOW / 1000 - 1,
            expires_at: NOW / 1000 + 3,
          }),
        );
        return store.update(change);
      },
    };
    const manager = new TokenManager({ store: waiting, now: () => NOW });
    const token = await manager.getToken({
      provider: "acme",
      profile: "default",
      refresher,
      minTtlSeconds: 60,
    });
    expect(token.access_token).toBe("theirs");
    expect(refreshes()).toBe(0);
  });

  it("force refreshes a valid token", async () => {
    const { manager, refresher, refreshes } = await setup({ ...base, expires_at: NOW / 1000 + 3600 });
    const token = await manager.getToken({ provider: "acme", profile: "default", refresher, force: true });
    expect(refreshes()).toBe(1);
    expect(token.access_token).toBe("access-1");
  });

  it("without expires_in, a JWT access token's exp sets the expiry", async () => {
    const exp = NOW / 1000 + 900;
    const { manager } = await setup();
    const token = await manager.getToken({
      provider: "acme",
      profile: "default",
      refresher: async () => ({ access_token: jwt({ exp }), token_type: "Bearer" }),
    });
    expect(token.expires_at).toBe(exp);
  });
});

describe("expiry rules", () => {
  it("the life required is minTtl + skew, capped at half the issued lifetime", () => {
    const issued = (lifetime: number) => ({
      ...base,
      obtained_at: NOW / 1000,
      expires_at: NOW / 1000 + lifetime,
    });
    expect(requiredSeconds(issued(3600), 60)).toBe(90);
    expect(requiredSeconds(issued(300), 300)).toBe(150);
    expect(requiredSeconds(issued(4), 1)).toBe(2);
    // Unknown issue time (obtained_at after expires_at, as in a hand-edited store): no cap.
    expect(requiredSeconds({ ...base, obtained_at: NOW / 1000, expires_at: NOW / 1000 - 5 }, 60)).toBe(90);
    expect(isFresh(issued(4), 1, NOW + 1_000)).toBe(true);
    expect(isFresh(issued(4), 1, NOW + 2_500)).toBe(false);
  });
  it("a token with no known expiry counts as valid; an empty one never does", () => {
    const { expires_at: _, ...noExpiry } = base;
    expect(isFresh(noExpiry, 3600, NOW)).toBe(true);
    expect(isFresh({ ...noExpiry, access_token: "" }, 0, NOW)).toBe(false);
  });
  it("jwtExpiry reads exp and ignores garbage", () => {
    expect(jwtExpiry(jwt({ exp: 123 }))).toBe(123);
    expect(jwtExpiry("not-a-jwt")).toBeUndefined();
    expect(jwtExpiry("a.!!!.c")).toBeUndefined();
    expect(jwtExpiry(jwt({ exp: "soon" }))).toBeUndefined();
  });
  it("emptyDocument has no entries", () => {
    expect(getEntry(emptyDocument(), "acme", "default")).toBeUndefined();
  });
});
