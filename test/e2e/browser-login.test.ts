// One login as a person does it: `dist/oauthx login` prints the authorization URL, headless
// Chromium (Debian's chromium, driven by playwright-core) opens it, the login and consent pages of
// oidc-provider are filled in and clicked, the browser lands on oauthx's loopback page, and then
// `dist/oauthx exec` gives a child a working token.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthServer, startAuthServer, userinfoStatus } from "../support/auth-server.ts";
import {
  authorizationUrlFrom,
  CHROMIUM_PATH,
  launchChromium,
  signInWithChromium,
} from "../support/chromium-login.ts";
import { type CliHarness, cliHarness } from "../support/cli-harness.ts";
import { BIN } from "../support/run-node.ts";

describe("login in a real browser", () => {
  let server: AuthServer;
  let cli: CliHarness;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM_PATH)) {
      throw new Error(`no Chromium at ${CHROMIUM_PATH}: apt-get install chromium (or set OAUTHX_CHROMIUM)`);
    }
    server = await startAuthServer();
    cli = cliHarness(server);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    cli?.cleanup();
    await server?.close();
  });

  it("dist/oauthx login completes when a person signs in and consents in Chromium", async () => {
    const login = spawn(BIN.oauthx, ["login", "local", "--no-browser", "--timeout", "60s"], {
      env: cli.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    const exited = new Promise<number | null>((resolve) => login.once("exit", (code) => resolve(code)));
    const url = await authorizationUrlFrom(login.stderr, (chunk) => {
      stderr += chunk;
    });

    const landing = await signInWithChromium(browser, url, "carol");
    // The browser ends on oauthx's loopback page, which says so and carries no token.
    expect(landing.text).toMatch(/you can close this (tab|window)/i);
    expect(landing.html).not.toMatch(/access_token|refresh_token/);

    expect(await exited).toBe(0);
    expect(stderr).toContain("Logged in to Local Test Server as carol@example.test.");

    const exec = await cli.oauthx(["exec", "local", "--", "sh", "-c", 'printf "%s" "$LOCAL_TOKEN"']);
    expect(exec.code, exec.stderr).toBe(0);
    expect(await userinfoStatus(server, exec.stdout)).toBe(200);
  });
});
