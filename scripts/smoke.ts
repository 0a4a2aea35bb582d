// `node scripts/smoke.ts <binary> [binary ...]`: does a built oauthx binary work on this machine?
// The release workflow runs it on each target's own runner before the binary is uploaded; the e2e
// tests run it on dist/oauthx. For each binary:
//   1. `--version` names the version in package.json and this machine's platform (`linux-x64`,
//      `darwin-arm64`, `win32-x64`, ...): the binary runs here and was built for here;
//   2. a round trip with no login and no browser: oidc-provider on 127.0.0.1 (test/support's strict
//      server: PKCE, rotating refresh tokens), a refresh token granted over HTTP by its development
//      login pages, then `<binary> token local` in CI mode (OAUTHX_LOCAL_REFRESH_TOKEN seeded,
//      OAUTHX_HOME a temporary directory holding only a providers.yaml for that server). The token
//      it prints must be accepted by the server's userinfo endpoint.
// Exits 1 naming each failed binary and check; prints no token. Node 24 and `npm ci` suffice: no
// shell, no browser, nothing outside the temporary directory; Windows paths and `.exe` work.

import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import process from "node:process";
import {
  type AuthServer,
  localProviderYaml,
  NATIVE_CLIENT_ID,
  REDIRECT_URI,
  startAuthServer,
  userinfoStatus,
} from "../test/support/auth-server.ts";
import { browserlessLogin } from "../test/support/browserless-login.ts";

const ROOT = join(import.meta.dirname, "..");
const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
const PLATFORM = `${process.platform}-${process.arch}`;
const TIMEOUT_MS = 60_000;

class SmokeFailure extends Error {}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function runBinary(binary: string, args: string[], env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(binary, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, TIMEOUT_MS);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new SmokeFailure(`\`${args.join(" ")}\` could not start: ${error.message}`));
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (timedOut)
        reject(new SmokeFailure(`\`${args.join(" ")}\` did not finish within ${TIMEOUT_MS / 1000} s`));
      else resolvePromise({ code, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** What the binary said on stderr, indented, for a failure message (oauthx never prints a token there). */
function quoted(stderr: string): string {
  const text = stderr.trim();
  return text === "" ? "" : `\n${text.replace(/^/gm, "    ")}`;
}

const base64url = (bytes: Buffer) => bytes.toString("base64url");

/**
 * A refresh token for `login`, as a user's `oauthx login` would have obtained it: authorization
 * code with PKCE (RFC 7636), the server's login and consent pages completed over HTTP.
 */
async function grantRefreshToken(server: AuthServer, login: string): Promise<string> {
  const verifier = base64url(randomBytes(32));
  const state = base64url(randomBytes(16));
  const authorize = new URL(server.endpoints.authorization_endpoint);
  authorize.search = new URLSearchParams({
    client_id: NATIVE_CLIENT_ID,
    response_type: "code",
    redirect_uri: REDIRECT_URI,
    scope: "openid email offline_access",
    prompt: "consent",
    state,
    code_challenge: base64url(createHash("sha256").update(verifier).digest()),
    code_challenge_method: "S256",
  }).toString();
  const signedIn = await browserlessLogin(authorize, { login, deliver: false });
  const code = signedIn.redirect?.searchParams.get("code");
  if (!code || signedIn.redirect?.searchParams.get("state") !== state) {
    throw new Error(
      `the test server's login gave no authorization code (steps: ${signedIn.steps.join(" → ")})`,
    );
  }
  const response = await fetch(server.endpoints.token_endpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT_URI,
      client_id: NATIVE_CLIENT_ID,
      code_verifier: verifier,
    }),
  });
  const body = (await response.json()) as { refresh_token?: string; error?: string };
  if (!response.ok || !body.refresh_token) {
    throw new Error(`the test server granted no refresh token (HTTP ${response.status} ${body.error ?? ""})`);
  }
  return body.refresh_token;
}

/** The environment of the binary: this one without any OAUTHX_* setting or GitHub Actions' marker. */
function binaryEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    // GITHUB_ACTIONS would add `::add-mask::<token>` lines to stderr, which a failure message quotes.
    if (!name.toUpperCase().startsWith("OAUTHX_") && name !== "GITHUB_ACTIONS") env[name] = value;
  }
  return { ...env, NO_COLOR: "1", ...extra };
}

async function checkVersion(binary: string, env: NodeJS.ProcessEnv): Promise<string> {
  let fastest = Number.POSITIVE_INFINITY;
  let ran: Ran | undefined;
  // Best of three: the first start of a new file pays for the OS's checks (Gatekeeper, Defender).
  for (let i = 0; i < 3; i++) {
    ran = await runBinary(binary, ["--version"], env);
    if (ran.code !== 0) throw new SmokeFailure(`\`--version\` exited with ${ran.code}${quoted(ran.stderr)}`);
    fastest = Math.min(fastest, ran.ms);
  }
  const [name, runtime] = ran!.stdout.trimEnd().split("\n");
  if (name !== `oauthx ${VERSION}`) {
    throw new SmokeFailure(`\`--version\` says ${JSON.stringify(name)}, not "oauthx ${VERSION}"`);
  }
  const platform = /^\S+ \S+; (\S+); \S+$/.exec(runtime ?? "")?.[1];
  if (platform !== PLATFORM) {
    throw new SmokeFailure(
      `\`--version\` says ${JSON.stringify(runtime)}: built for ${platform ?? "an unknown platform"}, but this machine is ${PLATFORM}`,
    );
  }
  return `${runtime}; --version in ${Math.round(fastest)} ms`;
}

async function checkToken(binary: string, server: AuthServer, work: string): Promise<string> {
  const home = join(work, "home");
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, "providers.yaml"), localProviderYaml(server));
  const seed = await grantRefreshToken(server, "smoke");
  const env = binaryEnv({
    OAUTHX_HOME: home,
    OAUTHX_CI_CACHE_DIR: join(work, "ci-cache"),
    OAUTHX_LOCAL_REFRESH_TOKEN: seed,
  });
  const ran = await runBinary(binary, ["token", "local"], env);
  if (ran.code !== 0) throw new SmokeFailure(`\`token local\` exited with ${ran.code}${quoted(ran.stderr)}`);
  const token = ran.stdout.trim();
  if (token === "" || token.includes("\n")) {
    throw new SmokeFailure(
      `\`token local\` printed ${token === "" ? "nothing" : "more than one line"} on stdout`,
    );
  }
  const status = await userinfoStatus(server, token);
  if (status !== 200) {
    throw new SmokeFailure(
      `the server's userinfo endpoint answered ${status} to the token \`token local\` printed`,
    );
  }
  return `token from the seeded refresh token in ${Math.round(ran.ms)} ms, accepted by userinfo`;
}

async function smoke(binary: string, server: AuthServer): Promise<void> {
  if (!existsSync(binary)) throw new SmokeFailure("no such file");
  const work = mkdtempSync(join(tmpdir(), "oauthx-smoke-"));
  try {
    const version = await checkVersion(binary, binaryEnv({ OAUTHX_HOME: join(work, "home") }));
    process.stdout.write(`smoke: ${basename(binary)}: ${version}\n`);
    const token = await checkToken(binary, server, work);
    process.stdout.write(`smoke: ${basename(binary)}: ${token}\n`);
  } finally {
    // Retries: Windows may hold a just-exited process's files a moment longer.
    rmSync(work, { recursive: true, force: true, maxRetries: 5 });
  }
}

if (import.meta.main) {
  const binaries = process.argv.slice(2);
  if (binaries.length === 0 || binaries.some((arg) => arg.startsWith("-"))) {
    process.stderr.write("usage: node scripts/smoke.ts <binary> [binary ...]\n");
    process.exit(2);
  }
  const server = await startAuthServer({ accessTokenTtl: 600 });
  const failed: string[] = [];
  try {
    for (const binary of binaries) {
      try {
        await smoke(resolve(binary), server);
      } catch (error) {
        if (!(error instanceof SmokeFailure)) throw error;
        failed.push(binary);
        process.stderr.write(`smoke: ${basename(binary)}: FAILED: ${error.message}\n`);
      }
    }
  } finally {
    await server.close();
  }
  if (failed.length > 0) {
    process.stderr.write(
      `smoke: ${failed.length} of ${binaries.length} binaries failed: ${failed.join(", ")}\n`,
    );
    process.exitCode = 1;
  } else {
    process.stdout.write(`smoke: ${binaries.length} of ${binaries.length} binaries work on ${PLATFORM}\n`);
  }
}
