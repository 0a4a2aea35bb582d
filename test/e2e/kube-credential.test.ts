// `oauthx kube-credential` on the compiled binary as a real kubectl's exec credential plugin,
// against a stand-in API server over TLS (test/support/kube-api-server.ts) that answers only for
// bearer tokens the test's authorization server accepts: both ExecCredential versions, the
// interactiveMode rules with no login, and CI mode.

import { spawnSync } from "node:child_process";
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
import { acceptsIdTokensOf, type KubeApiServer, startKubeApiServer } from "../support/kube-api-server.ts";
import { BIN, type Ran, run } from "../support/run-node.ts";
import { spawnOnTerminal } from "../support/terminal.ts";

const PODS = "/api/v1/namespaces/default/pods";
const V1 = "client.authentication.k8s.io/v1";
const V1BETA1 = "client.authentication.k8s.io/v1beta1";
/** ExecCredential v1 exists from kubectl 1.22; Debian 12's kubernetes-client is 1.20 (v1beta1). */
const FIRST_MINOR_WITH_V1 = 22;

describe("oauthx kube-credential", () => {
  let server: AuthServer;
  let kube: KubeApiServer;
  let cli: CliHarness;
  let root: string;
  let newest: string;

  beforeAll(async () => {
    if (!existsSync(BIN.oauthx)) throw new Error("dist/oauthx is missing: run `npm run build` first");
    const kubectl = spawnSync("kubectl", ["version", "--client", "-o", "json"], { encoding: "utf8" });
    if (kubectl.error || kubectl.status !== 0) {
      throw new Error("kubectl is not installed: these tests run a real kubectl (.ci/run installs it)");
    }
    const minor = Number.parseInt(JSON.parse(kubectl.stdout).clientVersion.minor, 10);
    // The flows below use the newest version this kubectl speaks, as its users' kubeconfigs do.
    newest = minor >= FIRST_MINOR_WITH_V1 ? V1 : V1BETA1;
    server = await startAuthServer({ accessTokenTtl: 600 });
    kube = await startKubeApiServer({
      accepts: async (token) => (await userinfoStatus(server, token)) === 200,
    });
    cli = cliHarness(server);
    root = mkdtempSync(join(tmpdir(), "oauthx-kube-"));
    const login = await cli.oauthx(["login", "local", "--timeout", "30s"]);
    expect(login.code, login.stderr).toBe(0);
  });
  afterAll(async () => {
    cli?.cleanup();
    await kube?.close();
    await server?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  /** A kubeconfig whose one user runs `dist/oauthx kube-credential <args>`. */
  function kubeconfig(
    exec: {
      apiVersion: string;
      interactiveMode: string;
      args?: string[];
      env?: Record<string, string>;
    },
    cluster: KubeApiServer = kube,
  ): string {
    const file = join(mkdtempSync(join(root, "config-")), "kubeconfig");
    const config = {
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        {
          name: "test",
          cluster: {
            server: cluster.url,
            "certificate-authority-data": Buffer.from(cluster.certificate).toString("base64"),
          },
        },
      ],
      users: [
        {
          name: "oauthx",
          user: {
            exec: {
              apiVersion: exec.apiVersion,
              command: BIN.oauthx,
              args: ["kube-credential", ...(exec.args ?? ["local"])],
              interactiveMode: exec.interactiveMode,
              ...(exec.env
                ? { env: Object.entries(exec.env).map(([name, value]) => ({ name, value })) }
                : {}),
            },
          },
        },
      ],
      contexts: [{ name: "test", context: { cluster: "test", user: "oauthx" } }],
      "current-context": "test",
    };
    // JSON is YAML: kubectl reads it as a kubeconfig.
    writeFileSync(file, JSON.stringify(config));
    return file;
  }

  function kubectl(config: string, env: Record<string, string> = cli.env): Promise<Ran> {
    return run("kubectl", ["--kubeconfig", config, "get", "--raw", PODS], {
      env: { ...env, HOME: join(root, "kube-home") },
    });
  }

  it("kubectl (ExecCredential v1, or v1beta1 before kubectl 1.22) gets a fresh token from oauthx and the API server accepts it", async () => {
    const before = kube.requests.length;
    const result = await kubectl(kubeconfig({ apiVersion: newest, interactiveMode: "Never" }));
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ kind: "PodList" });
    const sent = kube.requests.slice(before).filter((request) => request.bearer !== undefined);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((request) => request.status === 200)).toBe(true);
    const token = (await cli.oauthx(["token", "local"])).stdout.trim();
    expect(sent[0]?.bearer).toBe(token);
  });

  it("answers v1beta1 when KUBERNETES_EXEC_INFO asks for it (kubectl rejects a mismatched version)", async () => {
    const result = await kubectl(kubeconfig({ apiVersion: V1BETA1, interactiveMode: "Never" }));
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ kind: "PodList" });
  });

  it("prints the ExecCredential kubectl asked for, expiry in RFC 3339, and nothing else on stdout", async () => {
    for (const apiVersion of [V1, V1BETA1]) {
      const result = await cli.oauthx(["kube-credential", "local"], {
        env: {
          KUBERNETES_EXEC_INFO: JSON.stringify({
            kind: "ExecCredential",
            apiVersion,
            spec: { interactive: false },
          }),
        },
      });
      expect(result.code, result.stderr).toBe(0);
      const credential = JSON.parse(result.stdout) as {
        apiVersion: string;
        kind: string;
        status: { token: string; expirationTimestamp: string };
      };
      expect(credential.apiVersion).toBe(apiVersion);
      expect(credential.kind).toBe("ExecCredential");
      expect(await userinfoStatus(server, credential.status.token)).toBe(200);
      expect(credential.status.expirationTimestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      const json = JSON.parse((await cli.oauthx(["token", "local", "--json"])).stdout) as {
        expires_at: string;
      };
      expect(Date.parse(credential.status.expirationTimestamp)).toBe(Date.parse(json.expires_at));
    }
    // Run by hand, without KUBERNETES_EXEC_INFO: v1.
    const plain = await cli.oauthx(["kube-credential", "local"]);
    expect(JSON.parse(plain.stdout)).toMatchObject({ apiVersion: V1, kind: "ExecCredential" });
  });

  it("refuses an apiVersion it does not speak, saying which it does", async () => {
    const result = await cli.oauthx(["kube-credential", "local"], {
      env: { KUBERNETES_EXEC_INFO: JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1alpha1" }) },
    });
    expect(result.code).toBe(3);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("[CONFIG_INVALID]");
    expect(result.stderr).toContain(V1);
  });

  it("no login with interactiveMode Never: kubectl fails and shows oauthx's message", async () => {
    const before = kube.requests.length;
    const config = kubeconfig({
      apiVersion: newest,
      interactiveMode: "Never",
      args: ["local", "--profile", "nobody"],
    });
    const result = await kubectl(config);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("not logged in to local (profile nobody) [AUTH_REQUIRED]");
    expect(result.stderr).toContain("oauthx login local --profile nobody");
    expect(kube.requests.slice(before).some((request) => request.status === 200)).toBe(false);
  });

  it("no login, IfAvailable, at a terminal: the README's oidc kubeconfig logs in, then kubectl goes on", async () => {
    // The built-in oidc provider, its issuer and client id from the exec entry's env, as documented.
    const config = kubeconfig({
      apiVersion: newest,
      interactiveMode: "IfAvailable",
      args: ["oidc"],
      env: { OAUTHX_OIDC_ISSUER: server.issuer, OAUTHX_OIDC_CLIENT_ID: NATIVE_CLIENT_ID },
    });
    const command = `kubectl --kubeconfig '${config}' get --raw ${PODS}`;
    const child = spawnOnTerminal(command, { ...cli.env, HOME: join(root, "kube-home") });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    const code = await new Promise<number | null>((resolve) =>
      child.once("exit", (status) => resolve(status)),
    );
    expect(code, output).toBe(0);
    expect(output).toContain("no usable oidc login for kubectl; logging in");
    expect(output).toContain("Logged in to OpenID Connect (any issuer)");
    expect(output).toContain('"kind":"PodList"');
    // The login is kept: the next kubectl needs no terminal.
    const again = await kubectl(config);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain("logging in");
  }, 60_000);

  it("--token id: an API server that verifies ID tokens itself (--oidc-issuer-url) accepts what kubectl sends", async () => {
    const oidcServer = await startKubeApiServer({
      accepts: acceptsIdTokensOf(server.issuer, NATIVE_CLIENT_ID),
    });
    try {
      const config = kubeconfig(
        { apiVersion: newest, interactiveMode: "Never", args: ["local", "--token", "id"] },
        oidcServer,
      );
      const accessConfig = kubeconfig({ apiVersion: newest, interactiveMode: "Never" }, oidcServer);
      const result = await kubectl(config);
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ kind: "PodList" });
      // The same server refuses the access token: it is not an ID token.
      const refused = await kubectl(accessConfig);
      expect(refused.code).not.toBe(0);
      expect(oidcServer.requests.some((request) => request.status === 401)).toBe(true);
    } finally {
      await oidcServer.close();
    }
  });

  it("works in CI mode from a seeded refresh token, writing nothing under OAUTHX_HOME", async () => {
    const ciLogin = await cli.oauthx(["login", "local", "--profile", "ci"]);
    expect(ciLogin.code, ciLogin.stderr).toBe(0);
    const seed = (await cli.oauthx(["export", "local", "--profile", "ci", "--refresh-token"])).stdout.trim();
    const ciHome = join(root, "ci-home");
    mkdirSync(ciHome, { mode: 0o700 });
    writeFileSync(join(ciHome, "providers.yaml"), readFileSync(join(cli.home, "providers.yaml")));
    const result = await kubectl(kubeconfig({ apiVersion: newest, interactiveMode: "Never" }), {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      OAUTHX_HOME: ciHome,
      OAUTHX_CI_CACHE_DIR: join(root, "runner-temp"),
      OAUTHX_LOCAL_REFRESH_TOKEN: seed,
      OAUTHX_ON_ROTATE: "cat > /dev/null",
    });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ kind: "PodList" });
    expect(readdirSync(ciHome)).toEqual(["providers.yaml"]);
  });
});
