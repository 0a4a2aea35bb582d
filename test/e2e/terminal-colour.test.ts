// What a person at a terminal sees, on the compiled binary (Bun) through a pseudo-terminal: messages
// that inform ("Open this URL", "Logged in", "refreshed …") are plain text, and only the "error:"
// and "warning:" labels are coloured, never with NO_COLOR set (https://no-color.org). Bun's
// console.error paints everything it writes to a terminal red, which made every message read as
// an error.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthServer, startAuthServer } from "../support/auth-server.ts";
import { type CliHarness, cliHarness } from "../support/cli-harness.ts";
import { BIN } from "../support/run-node.ts";
import { spawnOnTerminal } from "../support/terminal.ts";

const ESC = "\x1b";

/** Runs `oauthx <args>` on a pseudo-terminal; its output as the terminal shows it (stdout and stderr). */
function onTerminal(args: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  const child = spawnOnTerminal(`${BIN.oauthx} ${args}`, env);
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stdin.end();
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, output })));
}

describe("colour on a terminal", () => {
  let server: AuthServer;
  let cli: CliHarness;
  let colourEnv: NodeJS.ProcessEnv;
  beforeAll(async () => {
    server = await startAuthServer({ accessTokenTtl: 600 });
    cli = cliHarness(server);
    const { NO_COLOR: _off, ...rest } = cli.env;
    colourEnv = rest;
  });
  afterAll(async () => {
    cli?.cleanup();
    await server?.close();
  });

  it("a login and a refresh inform in plain text", async () => {
    const login = await onTerminal("login local", colourEnv);
    expect(login.output).toContain("Logged in to Local Test Server");
    expect(login.code, login.output).toBe(0);
    const refresh = await onTerminal("refresh local", colourEnv);
    expect(refresh.code, refresh.output).toBe(0);
    expect(refresh.output).toMatch(/refreshed/i);
    expect(login.output + refresh.output).not.toContain(ESC);
  }, 60_000);

  it("an error's label is red, and its message and remedy plain", async () => {
    const failed = await onTerminal("token nosuch", colourEnv);
    expect(failed.code).toBe(3);
    expect(failed.output).toContain(`${ESC}[1;31merror:${ESC}[0m unknown provider "nosuch"`);
    expect(failed.output.split(ESC).length).toBe(3);
  });

  it("NO_COLOR: no colour at all", async () => {
    const failed = await onTerminal("token nosuch", { ...colourEnv, NO_COLOR: "1" });
    expect(failed.code).toBe(3);
    expect(failed.output).toContain('error: unknown provider "nosuch"');
    expect(failed.output).not.toContain(ESC);
  });
});
