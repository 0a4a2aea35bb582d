// The store's identity in the OS keychain, end to end: the compiled binary against a real Secret
// Service (gnome-keyring-daemon on a private D-Bus session) and a real authorization server
// (oidc-provider, rotating refresh tokens). The move leaves no key under OAUTHX_HOME; every command
// works with it; a keychain that is absent, silent, locked or missing the item is a clear error
// within seconds that names it and changes nothing; the move back works without D-Bus at all.

import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateIdentity } from "age-encryption";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthServer, startAuthServer, userinfoStatus } from "../support/auth-server.ts";
import { type CliHarness, cliHarness } from "../support/cli-harness.ts";
import { BIN, ROOT, run } from "../support/run-node.ts";
import { type SecretService, startSecretService } from "../support/secret-service.ts";

/** Every file under `dir`, recursively, with its bytes. */
function filesUnder(dir: string): { file: string; text: string }[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((name) => join(dir, name))
    .filter((file) => statSync(file).isFile())
    .map((file) => ({ file, text: readFileSync(file, "latin1") }));
}

describe("dist/oauthx with the identity in the Secret Service", () => {
  let server: AuthServer;
  let cli: CliHarness;
  let keyring: SecretService;
  let account = "";
  const inSession = (args: string[], env: Record<string, string> = {}) =>
    cli.oauthx(args, { env: { ...keyring.env, ...env } });
  // Without the memory cache (memory-cache.ts), every call asks the keychain itself.
  const NO_CACHE = { OAUTHX_IDENTITY_CACHE: "off" };
  const secret = (op: "get" | "delete" | "set", value = "") =>
    run(
      BIN.bun,
      [
        "-e",
        `const o = { service: "oauthx", name: process.env.ITEM, value: process.env.VALUE };
         const r = await Bun.secrets.${op}(o); if ("${op}" === "get") process.stdout.write(r ?? "");`,
      ],
      { env: { ...keyring.env, ITEM: account, VALUE: value } },
    );
  /** Whether the kernel keyring holds this item's cached identity (asked through memory-cache.ts). */
  const cached = async () => {
    const module = join(ROOT, "src/store/identity/memory-cache.ts");
    const script = `const m = await import(${JSON.stringify(module)}); process.stdout.write(String((await m.cachedIdentity(process.env.ITEM)) !== undefined));`;
    return (await run(BIN.bun, ["-e", script], { env: { PATH: "/usr/bin:/bin", ITEM: account } })).stdout;
  };

  beforeAll(async () => {
    server = await startAuthServer({ accessTokenTtl: 600 });
    keyring = await startSecretService();
    cli = cliHarness(server);
    // A desktop's Secret Service has long been running when oauthx asks it; a daemon started a
    // moment ago pays its first-use costs (libsecret's session, the collection's first open) on
    // the first request, which on a loaded machine can outlast oauthx's 2 s bound: pay them here.
    const warm = await run(
      BIN.bun,
      ["-e", 'await Bun.secrets.get({ service: "oauthx-test", name: "warm-up" });'],
      { env: keyring.env },
    );
    expect(warm.code, warm.stderr).toBe(0);
  });
  afterAll(async () => {
    cli?.cleanup();
    keyring?.stop();
    await server?.close();
  });

  it("moves the identity into the keychain: no AGE-SECRET-KEY is left under OAUTHX_HOME", async () => {
    expect((await inSession(["login", "local", "--timeout", "30s"])).code).toBe(0);
    const before = (await inSession(["token", "local"])).stdout.trim();

    const doctor = await inSession(["doctor", "--offline", "--json"]);
    const suggestion = JSON.parse(doctor.stdout).find(
      (finding: { check: string }) => finding.check === "identity",
    );
    expect(suggestion).toMatchObject({ status: "warn", remedy: "oauthx identity move keychain" });

    const moved = await inSession(["identity", "move", "keychain"]);
    expect(moved.stderr).toMatch(
      /now in the Secret Service keyring item oauthx\/age-identity-[0-9a-f]{16}\./,
    );
    expect(moved.code).toBe(0);
    account = /oauthx\/(age-identity-[0-9a-f]{16})/.exec(moved.stderr)?.[1] ?? "";
    for (const { file, text } of filesUnder(cli.home)) expect(text, file).not.toContain("AGE-SECRET-KEY");

    // The store is the same store: the token from before the move comes back, no refresh.
    expect((await inSession(["token", "local"])).stdout.trim()).toBe(before);
    const shown = await inSession(["identity", "--json"]);
    expect(JSON.parse(shown.stdout)).toMatchObject({ home: "keychain", answers: true });
    expect(shown.stdout).not.toContain("AGE-SECRET-KEY");
  });

  it("login, token, exec, refresh and logout work with the key in the keychain", async () => {
    expect((await inSession(["login", "local", "--profile", "work", "--timeout", "30s"])).code).toBe(0);
    const token = await inSession(["token", "local", "--profile", "work"]);
    expect(token.code).toBe(0);
    expect(await userinfoStatus(server, token.stdout.trim())).toBe(200);
    const exec = await inSession(["exec", "local", "--", "sh", "-c", 'printf %s "$LOCAL_TOKEN"']);
    expect(exec.code).toBe(0);
    expect(await userinfoStatus(server, exec.stdout)).toBe(200);
    const refreshed = await inSession(["refresh", "local"]);
    expect(refreshed.code).toBe(0);
    expect(await userinfoStatus(server, (await inSession(["token", "local"])).stdout.trim())).toBe(200);
    expect((await inSession(["logout", "local", "--profile", "work"])).code).toBe(0);
    expect(JSON.parse((await inSession(["status", "--json"])).stdout)).toHaveLength(1);
  });

  it("without a D-Bus session: a clear error within seconds naming the keychain, the store intact", async () => {
    const store = readFileSync(join(cli.home, "tokens.age"));
    const started = performance.now();
    // The harness's env has no D-Bus address.
    const result = await cli.oauthx(["token", "local"], { env: NO_CACHE });
    expect(performance.now() - started).toBeLessThan(3000);
    expect(result.code).toBe(8);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("the Secret Service keyring could not be reached");
    expect(result.stderr).toContain("[KEYCHAIN_UNAVAILABLE]");
    expect(result.stderr).toContain("oauthx identity move file");
    expect(result.stderr).toContain("OAUTHX_AGE_IDENTITY");
    // Never a silent fall-back or a fresh identity: a login fails the same way and writes nothing.
    const login = await cli.oauthx(["login", "local", "--profile", "other", "--timeout", "30s"], {
      env: NO_CACHE,
    });
    expect(login.code).toBe(8);
    expect(readFileSync(join(cli.home, "tokens.age")).equals(store)).toBe(true);
    expect(readdirSync(cli.home)).not.toContain("identity.txt");
  });

  it("the memory cache: a keychain read is remembered in the kernel keyring, never on disk", async () => {
    expect((await inSession(["token", "local"])).code).toBe(0); // reads the keychain, fills the cache
    // Within minutes, the cache answers even where the keychain cannot be reached.
    expect(await cached()).toBe("true");
    const fromCache = await cli.oauthx(["token", "local"]);
    expect(fromCache.stderr).toBe("");
    expect(fromCache.code).toBe(0);
    for (const { file, text } of filesUnder(cli.home)) expect(text, file).not.toContain("AGE-SECRET-KEY");
  });

  it("a Secret Service that does not answer: the error comes within the bound, not a hang", async () => {
    const daemon = await keyring.daemonPid();
    process.kill(daemon, "SIGSTOP");
    try {
      const started = performance.now();
      const result = await inSession(["token", "local"], NO_CACHE);
      const elapsed = performance.now() - started;
      expect(result.stderr).toContain("did not answer within 2 s");
      expect(result.code).toBe(8);
      expect(elapsed).toBeLessThan(4000);
    } finally {
      process.kill(daemon, "SIGCONT");
    }
  });

  it("the item deleted behind oauthx's back: a clear error naming it", async () => {
    const key = (await secret("get")).stdout;
    expect(key).toMatch(/^AGE-SECRET-KEY-1/);
    await secret("delete");
    try {
      const result = await inSession(["token", "local"], NO_CACHE);
      expect(result.code).toBe(8);
      expect(result.stderr).toContain(
        `item oauthx/${account}, which holds the store's age identity, was not found`,
      );
      expect(result.stderr).not.toContain("AGE-SECRET-KEY");
    } finally {
      await secret("set", key);
    }
    expect((await inSession(["token", "local"])).code).toBe(0);
  });

  it("an interrupted move never leaves two identities in use: the marker decides, a re-run completes", async () => {
    const identityFile = join(cli.home, "identity.txt");
    // Interrupted after the marker, before identity.txt was removed: the same key in both homes.
    writeFileSync(identityFile, (await secret("get")).stdout, { mode: 0o600 });
    const rerun = await inSession(["identity", "move", "keychain"], NO_CACHE);
    expect(rerun.stderr).toContain("was already in the Secret Service keyring");
    expect(existsSync(identityFile)).toBe(false);
    // Another key beside the marker (restored from somewhere): the keychain still opens the store,
    // and the move back refuses rather than keep one of two different identities.
    writeFileSync(identityFile, `${await generateIdentity()}\n`, { mode: 0o600 });
    try {
      expect((await inSession(["token", "local"], NO_CACHE)).code).toBe(0);
      const refused = await inSession(["identity", "move", "file"], NO_CACHE);
      expect(refused.code).toBe(3);
      expect(refused.stderr).toContain(`${identityFile} holds another identity than the keychain`);
      expect(existsSync(join(cli.home, "identity-location.json"))).toBe(true);
    } finally {
      rmSync(identityFile);
    }
  });

  it("moves back to a file (0600), which then works with no D-Bus at all", async () => {
    const result = await inSession(["identity", "move", "file"]);
    expect(result.code).toBe(0);
    const identityFile = join(cli.home, "identity.txt");
    expect((statSync(identityFile).mode & 0o777).toString(8)).toBe("600");
    expect(readdirSync(cli.home)).not.toContain("identity-location.json");
    expect((await secret("get")).stdout).toBe(""); // the item is gone from the keychain
    expect(await cached()).toBe("false"); // and from the memory cache
    const token = await cli.oauthx(["token", "local"]);
    expect(token.code).toBe(0);
    expect(await userinfoStatus(server, token.stdout.trim())).toBe(200);
  });

  it("a locked collection: a clear error, and the store untouched", async () => {
    const moved = await inSession(["identity", "move", "keychain"]);
    expect(moved.code).toBe(0);
    account = /oauthx\/(age-identity-[0-9a-f]{16})/.exec(moved.stderr)?.[1] ?? "";
    const store = readFileSync(join(cli.home, "tokens.age"));
    await keyring.lock();
    const started = performance.now();
    const result = await inSession(["token", "local"], NO_CACHE);
    expect(performance.now() - started).toBeLessThan(4000);
    expect(result.code).toBe(8);
    expect(result.stderr).toContain(
      `the Secret Service keyring is locked, so the Secret Service keyring item oauthx/${account} (the store's age identity) cannot be read`,
    );
    expect(result.stderr).toContain("unlock it");
    expect(result.stderr).toContain("OAUTHX_AGE_IDENTITY");
    const shown = await inSession(["identity", "--json"], NO_CACHE);
    expect(JSON.parse(shown.stdout)).toMatchObject({ home: "keychain", answers: false });
    expect(readFileSync(join(cli.home, "tokens.age")).equals(store)).toBe(true);
  });
});
