// `oauthx git-credential` on the compiled binary: a real git whose only credential helper is
// oauthx clones and pushes over smart HTTP (git http-backend, test/support/git-http-server.ts)
// against a server that takes only tokens the test's authorization server accepts. Also the
// helper protocol itself: erase then get, no login, the host → login mapping, CI mode.

import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AuthServer,
  NATIVE_CLIENT_ID,
  startAuthServer,
  userinfoStatus,
} from "../support/auth-server.ts";
import { type CliHarness, cliHarness } from "../support/cli-harness.ts";
import { type GitHttpServer, startGitHttpServer } from "../support/git-http-server.ts";
import { BIN, type Ran, run } from "../support/run-node.ts";
import { spawnOnTerminal } from "../support/terminal.ts";

/** Access tokens of the short-lived server live this long, so a test can outwait one. */
const SHORT_TTL_SECONDS = 5;
/** The other tests' tokens outlive them, so that only what a test does causes a refresh. */
const TOKEN_TTL_SECONDS = 600;

function providersYaml(server: AuthServer, gitHost: string): string {
  const common = [
    `    issuer: ${server.issuer}`,
    `    client_id: ${NATIVE_CLIENT_ID}`,
    "    scopes: [openid, email, offline_access]",
  ];
  return [
    "providers:",
    "  local:",
    "    name: Local Test Server",
    ...common,
    `    git_hosts: ["${gitHost}"]`,
    // A forge whose git host is a login setting, as for GitHub Enterprise or self-managed GitLab.
    "  forge:",
    "    name: Local Forge",
    ...common,
    "    template_vars:",
    "      host: {description: the forge's host}",
    '    git_hosts: ["{host}"]',
    "    git_username: forge-user",
    "",
  ].join("\n");
}

/** A git-credential(1) request: key=value lines and a blank line. */
function request(fields: Record<string, string>): string {
  return `${Object.entries(fields)
    .map(([key, value]) => `${key}=${value}\n`)
    .join("")}\n`;
}

function parseAnswer(stdout: string): Record<string, string> {
  return Object.fromEntries(
    stdout
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
}

describe("oauthx git-credential", () => {
  let server: AuthServer;
  let shortServer: AuthServer;
  let git: GitHttpServer;
  let cli: CliHarness;
  let shortCli: CliHarness;
  let root: string;

  beforeAll(async () => {
    if (!existsSync(BIN.oauthx)) throw new Error("dist/oauthx is missing: run `npm run build` first");
    server = await startAuthServer({ accessTokenTtl: TOKEN_TTL_SECONDS });
    shortServer = await startAuthServer({ accessTokenTtl: SHORT_TTL_SECONDS });
    root = mkdtempSync(join(tmpdir(), "oauthx-git-"));
    mkdirSync(join(root, "repos"));
    git = await startGitHttpServer({
      root: join(root, "repos"),
      accepts: async (password) =>
        (await userinfoStatus(server, password)) === 200 ||
        (await userinfoStatus(shortServer, password)) === 200,
    });
    cli = cliHarness(server, { providerYaml: providersYaml(server, git.host) });
    shortCli = cliHarness(shortServer, { providerYaml: providersYaml(shortServer, git.host) });
    // A bare repository with one commit, as a forge would host it.
    const seed = join(root, "seed");
    await gitOk(["init", "-q", "-b", "main", seed]);
    writeFileSync(join(seed, "README"), "hello\n");
    await gitOk(["-C", seed, "add", "README"]);
    await gitOk(["-C", seed, "commit", "-q", "-m", "first"]);
    await gitOk(["clone", "-q", "--bare", seed, join(root, "repos", "project.git")]);
    for (const harness of [cli, shortCli]) {
      const login = await harness.oauthx(["login", "local", "--timeout", "30s"]);
      expect(login.code, login.stderr).toBe(0);
    }
  });
  afterAll(async () => {
    cli?.cleanup();
    shortCli?.cleanup();
    await git?.close();
    await server?.close();
    await shortServer?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  /** git with no configuration but the test's: a temporary HOME, no system file, no prompts. */
  function runGit(args: string[], helper?: string, oauthxHome = cli.home): Promise<Ran> {
    const helperArgs =
      helper === undefined ? [] : ["-c", "credential.helper=", "-c", `credential.helper=${helper}`];
    return run(
      "git",
      [...helperArgs, "-c", "user.name=Test", "-c", "user.email=test@example.test", ...args],
      {
        cwd: root,
        env: {
          PATH: process.env.PATH,
          HOME: join(root, "git-home"),
          GIT_CONFIG_NOSYSTEM: "1",
          GIT_TERMINAL_PROMPT: "0",
          OAUTHX_HOME: oauthxHome,
          LANG: "C",
        },
      },
    );
  }
  async function gitOk(args: string[], helper?: string, oauthxHome?: string): Promise<Ran> {
    const result = await runGit(args, helper, oauthxHome);
    expect(result.code, `git ${args.join(" ")}: ${result.stderr}`).toBe(0);
    return result;
  }
  const helper = (args: string) => `!'${BIN.oauthx}' git-credential ${args}`;
  const credential = (args: string[], fields: Record<string, string>, env: Record<string, string> = {}) =>
    cli.oauthx(["git-credential", ...args], { input: request(fields), env });

  it("clones and pushes with oauthx as git's only credential helper, refreshing an expired token", async () => {
    const work = join(root, "work");
    await gitOk(["clone", "-q", `${git.url}/project.git`, work], helper("local"), shortCli.home);
    expect(readFileSync(join(work, "README"), "utf8")).toBe("hello\n");
    // git asked without credentials first, then with oauthx's: user name oauth2 and a good token.
    const authorized = git.requests.filter((entry) => entry.status === 200);
    expect(authorized.length).toBeGreaterThan(0);
    expect(authorized.every((entry) => entry.username === "oauth2")).toBe(true);

    // Outwait the access token, then push: the helper must refresh on the way.
    await new Promise((resolve) => setTimeout(resolve, (SHORT_TTL_SECONDS + 1) * 1000));
    const refreshes = shortServer.counters.refreshRequests;
    const before = git.requests.length;
    writeFileSync(join(work, "CHANGES"), "pushed through oauthx\n");
    await gitOk(["-C", work, "add", "CHANGES"]);
    await gitOk(["-C", work, "commit", "-q", "-m", "second"]);
    await gitOk(["-C", work, "push", "-q", "origin", "main"], helper("local"), shortCli.home);
    // At least one: on a slow machine a second `get` in the same push may find the new token
    // past half its 5 s life and refresh again.
    expect(shortServer.counters.refreshRequests).toBeGreaterThan(refreshes);
    const pushed = git.requests.slice(before);
    expect(pushed.some((entry) => entry.path.endsWith("/git-receive-pack") && entry.status === 200)).toBe(
      true,
    );
    const log = await gitOk(["--git-dir", join(root, "repos", "project.git"), "log", "--format=%s", "main"]);
    expect(log.stdout.trim().split("\n")).toEqual(["second", "first"]);
  }, 60_000);

  it("without a working helper answer, git is refused: the server really checks the token", async () => {
    const refused = await runGit(["ls-remote", `${git.url}/project.git`], "!true");
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/terminal prompts disabled|Authentication failed/);
  });

  it("get answers the protocol only: user name, a fresh token, its expiry", async () => {
    const result = await credential(["local", "get"], {
      protocol: "http",
      host: git.host,
      path: "project.git",
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe("");
    const answer = parseAnswer(result.stdout);
    expect(Object.keys(answer)).toEqual(["username", "password", "password_expiry_utc"]);
    expect(answer.username).toBe("oauth2");
    expect(await userinfoStatus(server, answer.password as string)).toBe(200);
    const expiry = Number(answer.password_expiry_utc);
    expect(expiry).toBeGreaterThan(Date.now() / 1000);
    expect(expiry).toBeLessThanOrEqual(Date.now() / 1000 + TOKEN_TTL_SECONDS + 1);
  });

  it("erase marks the refused token, and the next get refreshes; the login stays", async () => {
    const first = parseAnswer(
      (await credential(["local", "get"], { protocol: "http", host: git.host })).stdout,
    );
    const refreshes = server.counters.refreshRequests;
    // Another helper's password is not ours: nothing changes.
    await credential(["local", "erase"], { protocol: "http", host: git.host, password: "someone-elses" });
    const same = parseAnswer(
      (await credential(["local", "get"], { protocol: "http", host: git.host })).stdout,
    );
    expect(same.password).toBe(first.password);
    expect(server.counters.refreshRequests).toBe(refreshes);

    const erased = await credential(["local", "erase"], {
      protocol: "http",
      host: git.host,
      username: "oauth2",
      password: first.password as string,
    });
    expect(erased.code, erased.stderr).toBe(0);
    expect(erased.stdout).toBe("");
    const next = parseAnswer(
      (await credential(["local", "get"], { protocol: "http", host: git.host })).stdout,
    );
    expect(server.counters.refreshRequests).toBe(refreshes + 1);
    expect(next.password).not.toBe(first.password);
    expect(await userinfoStatus(server, next.password as string)).toBe(200);
    const status = JSON.parse((await cli.oauthx(["status", "local", "--json"])).stdout) as unknown[];
    expect(status).toHaveLength(1);
  });

  it("store is accepted and does nothing", async () => {
    const result = await credential(["local", "store"], {
      protocol: "http",
      host: git.host,
      username: "oauth2",
      password: "whatever",
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("");
  });

  it("no login: nothing on stdout, exit 0, so git moves on", async () => {
    const result = await credential(["local", "--profile", "nobody", "get"], {
      protocol: "http",
      host: git.host,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe("");
    // With a terminal on stderr (git run by a person), the login to make is named there.
    const line = `printf 'protocol=http\\nhost=${git.host}\\n\\n' | '${BIN.oauthx}' git-credential local --profile nobody get`;
    const child = spawnOnTerminal(line, cli.env);
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    const code = await new Promise<number | null>((resolve) =>
      child.once("exit", (status) => resolve(status)),
    );
    expect(code, output).toBe(0);
    expect(output).toContain(
      "oauthx: not logged in to local (profile nobody); run `oauthx login local --profile nobody`",
    );
    expect(output).not.toContain("password=");
  });

  it("maps git's host to the login without a provider, from the static list and from a login's settings", async () => {
    const byHost = await credential(["get"], { protocol: "http", host: git.host });
    expect(byHost.code, byHost.stderr).toBe(0);
    expect(parseAnswer(byHost.stdout).username).toBe("oauth2");

    // The forge's host is known only from its login (--set host=...), under a profile.
    const unknown = await credential(["get"], { protocol: "https", host: "git.forge.example" });
    expect(unknown.stdout).toBe("");
    const login = await cli.oauthx([
      "login",
      "forge",
      "--profile",
      "work",
      "--set",
      "host=git.forge.example",
    ]);
    expect(login.code, login.stderr).toBe(0);
    const forge = await credential(["get"], { protocol: "https", host: "git.forge.example" });
    expect(forge.code, forge.stderr).toBe(0);
    const answer = parseAnswer(forge.stdout);
    expect(answer.username).toBe("forge-user");
    expect(await userinfoStatus(server, answer.password as string)).toBe(200);
    const forgeToken = await cli.oauthx(["token", "forge", "--profile", "work"]);
    expect(answer.password).toBe(forgeToken.stdout.trim());
  });

  it("sends no token to a host the provider does not serve, nor over plain http off loopback", async () => {
    const other = await credential(["local", "get"], { protocol: "https", host: "evil.example" });
    expect(other.code).toBe(0);
    expect(other.stdout).toBe("");
    expect(other.stderr).toContain("local does not serve git for evil.example");
    const anywhere = await credential(["get"], { protocol: "https", host: "evil.example" });
    expect(anywhere.stdout).toBe("");
    expect(anywhere.stderr).toBe("");
    const plain = await credential(["forge", "--profile", "work", "get"], {
      protocol: "http",
      host: "git.forge.example",
    });
    expect(plain.stdout).toBe("");
    expect(plain.stderr).toContain("https only");
  });

  it("works in CI mode from a seeded refresh token, writing nothing under OAUTHX_HOME", async () => {
    const ciLogin = await cli.oauthx(["login", "local", "--profile", "ci"]);
    expect(ciLogin.code, ciLogin.stderr).toBe(0);
    const seed = (await cli.oauthx(["export", "local", "--profile", "ci", "--refresh-token"])).stdout.trim();
    const ciHome = join(root, "ci-home");
    mkdirSync(ciHome, { mode: 0o700 });
    writeFileSync(join(ciHome, "providers.yaml"), readFileSync(join(cli.home, "providers.yaml")));
    const env = {
      PATH: process.env.PATH,
      HOME: root,
      OAUTHX_HOME: ciHome,
      OAUTHX_CI_CACHE_DIR: join(root, "runner-temp"),
      OAUTHX_LOCAL_REFRESH_TOKEN: seed,
      OAUTHX_ON_ROTATE: "cat > /dev/null",
    };
    const result = await run(BIN.oauthx, ["git-credential", "get"], {
      env,
      input: request({ protocol: "http", host: git.host }),
    });
    expect(result.code, result.stderr).toBe(0);
    expect(await userinfoStatus(server, parseAnswer(result.stdout).password as string)).toBe(200);
    expect(readdirSync(ciHome)).toEqual(["providers.yaml"]);
  });
});
