// `oauthx exec` on the compiled binary, Bun and Deno (Deno's node:child_process reports signal
// exits differently: src/platform/spawn-child.ts): exit statuses, signal forwarding, --serve,
// --token-file.

import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthServer, startAuthServer, userinfoStatus } from "../support/auth-server.ts";
import { type CliHarness, cliHarness } from "../support/cli-harness.ts";
import { BIN, ROOT } from "../support/run-node.ts";
import { spawnOnTerminal } from "../support/terminal.ts";

const MAIN = join(ROOT, "src/main.ts");
const RUNTIMES: Record<string, (args: string[]) => [string, string[]]> = {
  binary: (args) => [BIN.oauthx, args],
  bun: (args) => [BIN.bun, [MAIN, ...args]],
  deno: (args) => [BIN.deno, ["run", "-A", MAIN, ...args]],
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(Object.keys(RUNTIMES))("exec on %s", (runtime) => {
  let server: AuthServer;
  let cli: CliHarness;
  const argv = (args: string[]) => RUNTIMES[runtime]!(args);

  beforeAll(async () => {
    // Short-lived access tokens: --serve and --token-file must hand out renewed ones.
    server = await startAuthServer({ accessTokenTtl: 4 });
    cli = cliHarness(server);
    const login = await cli.oauthx(["login", "local", "--timeout", "30s"]);
    expect(login.code, login.stderr).toBe(0);
  });
  afterAll(async () => {
    cli?.cleanup();
    await server?.close();
  });

  /** Runs oauthx on this runtime, `env` added to the harness's; `during` gets the process while it runs. */
  function oauthx(args: string[], during?: (pid: number) => Promise<void>, env: Record<string, string> = {}) {
    const [command, list] = argv(args);
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(command, list, { env: { ...cli.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      child.once("error", reject);
      child.once("close", (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
      if (during) during(child.pid as number).catch(reject);
    });
  }

  it("propagates 0, 7, 127, 126, 130 and 143", async () => {
    expect((await oauthx(["exec", "local", "--", "true"])).code).toBe(0);
    expect((await oauthx(["exec", "local", "--", "sh", "-c", "exit 7"])).code).toBe(7);
    expect((await oauthx(["exec", "local", "--", "oauthx-no-such-command"])).code).toBe(127);
    const script = join(cli.home, "plain-file.sh");
    writeFileSync(script, "#!/bin/sh\nexit 0\n", { mode: 0o644 });
    expect((await oauthx(["exec", "local", "--", script])).code).toBe(126);
    expect((await oauthx(["exec", "local", "--", "sh", "-c", "kill -INT $$"])).code).toBe(130);
    expect((await oauthx(["exec", "local", "--", "sh", "-c", "kill -TERM $$"])).code).toBe(143);
  });

  it("SIGTERM to oauthx reaches the child exactly once, and the child's own exit code wins", async () => {
    const counter = join(cli.home, `sigterm-${runtime}.log`);
    const ready = join(cli.home, `ready-${runtime}`);
    const child = `trap 'echo got >> "${counter}"; exit 0' TERM; touch "${ready}"; while :; do sleep 0.05; done`;
    const result = await oauthx(["exec", "local", "--", "sh", "-c", child], async (pid) => {
      for (let i = 0; i < 200 && !existsSync(ready); i++) await sleep(50);
      process.kill(pid, "SIGTERM");
    });
    expect(result.code, result.stderr).toBe(0);
    await sleep(200);
    expect(readFileSync(counter, "utf8")).toBe("got\n");
  });

  it("Ctrl-C at a terminal reaches the child once: oauthx does not forward it a second time", async () => {
    // `script` gives oauthx and its child a terminal; the ^C byte written to it makes the terminal
    // send SIGINT to the whole foreground process group, as a person pressing Ctrl-C does.
    const counter = join(cli.home, `sigint-${runtime}.log`);
    const ready = join(cli.home, `ready-int-${runtime}`);
    const childScript = join(cli.home, `int-child-${runtime}.sh`);
    writeFileSync(
      childScript,
      `trap 'echo got >> "${counter}"' INT\ntouch "${ready}"\ni=0\nwhile [ $i -lt 40 ]; do sleep 0.05; i=$((i+1)); done\nexit 0\n`,
    );
    const [command, list] = argv(["exec", "local", "--", "sh", childScript]);
    // `exec`: script runs its command through `sh -c`, and a dash waiting on it would itself die of
    // the SIGINT (exit 130) whatever oauthx does.
    const child = spawnOnTerminal(["exec", command, ...list].join(" "), cli.env);
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const stop = setTimeout(() => child.kill("SIGKILL"), 30_000); // never outlive the test
    try {
      for (let i = 0; i < 200 && !existsSync(ready); i++) await sleep(50);
      child.stdin.write("\x03");
      expect(await exited).toBe(0);
    } finally {
      clearTimeout(stop);
    }
    expect(readFileSync(counter, "utf8")).toBe("got\n");
  });

  it("--serve answers a fresh token after the first one expired, masked under GitHub Actions", async () => {
    const fetchToken =
      'curl -fsS -H "Authorization: Bearer $OAUTHX_SERVE_SECRET" "$OAUTHX_SERVE_URL/local" || echo CURL_FAILED';
    const denied = 'curl -s -o /dev/null -w "%{http_code}" "$OAUTHX_SERVE_URL/local"';
    const script = `echo "first=$LOCAL_TOKEN"; echo "t0=$(date +%s)"; sleep 5; echo "served=$(${fetchToken})"; echo "anon=$(${denied})"`;
    const result = await oauthx(
      ["exec", "local", "--serve", "--min-ttl", "1s", "--", "sh", "-c", script],
      undefined,
      { GITHUB_ACTIONS: "true" },
    );
    expect(result.code, result.stderr).toBe(0);
    const first = /first=(.*)/.exec(result.stdout)?.[1] ?? "";
    const t0 = Number(/t0=(\d+)/.exec(result.stdout)?.[1]);
    const served = JSON.parse(/served=(.*)/.exec(result.stdout)?.[1] ?? "{}") as {
      access_token?: string;
      expires_at?: string;
    };
    expect(first).not.toBe("");
    expect(served.access_token).toBeDefined();
    expect(served.access_token).not.toBe(first);
    // The first token lived 4 s from before t0; the served one outlives it: it was issued later.
    expect(Date.parse(served.expires_at as string) / 1000).toBeGreaterThan(t0 + 4);
    expect(await userinfoStatus(server, served.access_token as string)).toBe(200);
    // Every token served is masked in the job's log, as the first one is.
    expect(result.stderr).toContain(`::add-mask::${first}\n`);
    expect(result.stderr).toContain(`::add-mask::${served.access_token}\n`);
    // Without the per-run secret the endpoint refuses.
    expect(/anon=(\d+)/.exec(result.stdout)?.[1]).toBe("401");
  });

  it("--token-file: 0600, renewed content readable by the child, removed after exit", async () => {
    const script =
      'ls -l "$BEARER_TOKEN_FILE" | cut -c1-10; echo "$BEARER_TOKEN_FILE"; [ "$(cat "$BEARER_TOKEN_FILE")" = "$LOCAL_TOKEN" ] && echo same';
    const result = await oauthx(["exec", "local", "--token-file", "--", "sh", "-c", script]);
    expect(result.code, result.stderr).toBe(0);
    const [mode, path, same] = result.stdout.trim().split("\n");
    expect(mode).toBe("-rw-------");
    expect(same).toBe("same");
    expect(existsSync(path as string)).toBe(false);
    expect(statSync(cli.home).isDirectory()).toBe(true);
  });
});
