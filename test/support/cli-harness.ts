// Drives the compiled binary as a user would: a temporary OAUTHX_HOME with a providers file that
// points a provider named `local` at the test authorization server, $BROWSER set to a bot that
// clicks through the login, and a runner for `dist/oauthx …`.

import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AuthServer, localProviderYaml } from "./auth-server.ts";
import { BIN, type Ran, ROOT, run } from "./run-node.ts";

export interface CliHarness {
  home: string;
  env: Record<string, string>;
  oauthx(
    args: string[],
    options?: { env?: Record<string, string | undefined>; input?: string },
  ): Promise<Ran>;
  cleanup(): void;
}

export function cliHarness(server: AuthServer, options: { providerYaml?: string } = {}): CliHarness {
  const root = mkdtempSync(join(tmpdir(), "oauthx-cli-"));
  const home = join(root, "home");
  const browser = join(root, "browser");
  writeFileSync(
    browser,
    `#!/bin/sh\nexec "${BIN.node}" "${join(ROOT, "test/support/browser-bot.ts")}" "$1"\n`,
  );
  chmodSync(browser, 0o755);
  const yaml = options.providerYaml ?? localProviderYaml(server);
  mkdirSync(home, { mode: 0o700 });
  writeFileSync(join(home, "providers.yaml"), yaml);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: root,
    OAUTHX_HOME: home,
    BROWSER: browser,
    NO_COLOR: "1",
  };
  return {
    home,
    env,
    oauthx: (args, more = {}) =>
      run(BIN.oauthx, args, {
        env: { ...env, ...more.env },
        ...(more.input === undefined ? {} : { input: more.input }),
      }),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}
