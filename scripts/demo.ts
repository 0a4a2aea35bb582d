// `npm run demo`: the whole product against a local authorization server, in a temporary
// OAUTHX_HOME so nothing of yours is touched:
//   1. build dist/oauthx and start oidc-provider on 127.0.0.1 (PKCE required, rotating refresh);
//   2. `oauthx login` — in headless Chromium when /usr/bin/chromium exists, otherwise with a
//      scripted sign-in standing in for the browser ($BROWSER);
//   3. `oauthx token`, `status`, `exec` (a child reads its token from the environment), `refresh`,
//      `logout`.

import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { NATIVE_CLIENT_ID, startAuthServer } from "../test/support/auth-server.ts";
import {
  authorizationUrlFrom,
  CHROMIUM_PATH,
  launchChromium,
  signInWithChromium,
} from "../test/support/chromium-login.ts";
import { shellWord } from "./shell-word.ts";

const root = join(import.meta.dirname, "..");
const oauthx = join(root, "dist/oauthx");
const work = mkdtempSync(join(tmpdir(), "oauthx-demo-"));
const home = join(work, "home");

function say(text: string): void {
  process.stderr.write(`\n\u25b6 ${text}\n`);
}

/** Runs the binary asynchronously: the authorization server lives in this process and must keep answering. */
function step(title: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  say(title);
  process.stderr.write(`$ ${["oauthx", ...args].map(shellWord).join(" ")}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(oauthx, args, { env, stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      process.stdout.write(chunk);
    });
    child.once("error", reject);
    child.once("close", (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`oauthx ${args.join(" ")} exited with ${code}`));
    });
  });
}

/** `oauthx login --no-browser`, with the URL opened and signed into in headless Chromium. */
async function loginInChromium(env: NodeJS.ProcessEnv): Promise<void> {
  const browser = await launchChromium();
  try {
    const login = spawn(oauthx, ["login", "local", "--no-browser", "--timeout", "60s"], {
      env,
      stdio: ["ignore", "inherit", "pipe"],
    });
    const done = new Promise<number | null>((resolve) => login.once("exit", resolve));
    const url = await authorizationUrlFrom(login.stderr, (chunk) => process.stderr.write(chunk));
    say("Chromium (headless) signs in as demo-user and consents");
    await signInWithChromium(browser, url, "demo-user");
    if ((await done) !== 0) throw new Error("login failed");
  } finally {
    await browser.close();
  }
}

const server = await startAuthServer({ accessTokenTtl: 3600 });
try {
  say("building dist/oauthx");
  const build = spawnSync(process.execPath, [join(root, "scripts/build.ts")], { stdio: "inherit" });
  if (build.status !== 0) throw new Error("build failed");

  say(`a local authorization server (oidc-provider) runs at ${server.issuer}`);
  mkdirSync(home, { mode: 0o700 });
  const providers = [
    "providers:",
    "  local:",
    "    name: Local Demo Server",
    `    issuer: ${server.issuer}`,
    `    client_id: ${NATIVE_CLIENT_ID}`,
    "    scopes: [openid, email, offline_access]",
    "    env: [LOCAL_TOKEN]",
    "",
  ].join("\n");
  writeFileSync(join(home, "providers.yaml"), providers);
  process.stderr.write(`${home}/providers.yaml:\n${providers}`);
  const bot = join(work, "browser");
  writeFileSync(
    bot,
    `#!/bin/sh\nexec "${process.execPath}" "${join(root, "test/support/browser-bot.ts")}" "$1"\n`,
  );
  chmodSync(bot, 0o755);
  const env = { PATH: process.env.PATH, HOME: work, OAUTHX_HOME: home, BROWSER: bot };

  await step("the providers oauthx knows (built-ins plus the local one)", ["providers"], env);
  if (existsSync(CHROMIUM_PATH)) {
    say("oauthx login local: PKCE, a loopback redirect on 127.0.0.1, a real browser");
    await loginInChromium(env);
  } else {
    await step(
      "oauthx login local ($BROWSER is a scripted sign-in: no Chromium here)",
      ["login", "local"],
      env,
    );
  }
  await step("the login, as status shows it (no tokens printed)", ["status"], env);
  const token = (await step("a fresh access token on stdout", ["token", "local"], env)).trim();
  const child = 'echo "the child sees LOCAL_TOKEN: $(printf %s "$LOCAL_TOKEN" | wc -c) characters"';
  await step(
    "a child process gets the token in its environment",
    ["exec", "local", "--", "sh", "-c", child],
    env,
  );
  await step("refresh now (the server rotates the refresh token)", ["refresh", "local"], env);
  const fresh = (await step("the new token", ["token", "local"], env)).trim();
  process.stderr.write(`token changed after refresh: ${fresh !== token}\n`);
  await step("logout revokes at the server and deletes the login", ["logout", "local"], env);
  say(
    `demo finished: ${server.counters.tokenRequests} token requests, ${server.counters.refreshRequests} refresh, ${server.counters.revocations} revocations`,
  );
} finally {
  await server.close();
  rmSync(work, { recursive: true, force: true });
}
