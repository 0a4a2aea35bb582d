// The ways a login can go, on the compiled binary against oidc-provider: the device flow, a denied
// consent, nobody coming back (timeout), a port already taken, an http endpoint, and `--no-browser`
// over SSH where the person pastes the address the browser ended on — again after a bad paste — and
// the same paste-back path offered when no browser can open (SSH without a display, a failing
// $BROWSER), which `doctor` reports too.

import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AuthServer, NATIVE_CLIENT_ID, startAuthServer } from "../support/auth-server.ts";
import { browserlessLogin } from "../support/browserless-login.ts";
import { type CliHarness, cliHarness } from "../support/cli-harness.ts";
import { BIN } from "../support/run-node.ts";
import { spawnOnTerminal } from "../support/terminal.ts";

/** A command on a pseudo-terminal, with its output so far and a wait for what it prints next. */
function onTerminal(commandLine: string, env: Record<string, string | undefined>) {
  const child = spawnOnTerminal(commandLine, env as NodeJS.ProcessEnv);
  let output = "";
  const waiters = new Set<() => void>();
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
    for (const waiter of waiters) waiter();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    exited,
    output: () => output,
    type: (line: string) => child.stdin.write(`${line}\n`),
    /** Resolves with the match once `pattern` appears in the output after `from`. */
    waitFor(pattern: RegExp, from = 0): Promise<RegExpExecArray> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(output.slice(from));
          if (!match) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(match);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          child.kill();
          reject(new Error(`${pattern} did not appear in: ${output}`));
        }, 20_000);
        waiters.add(check);
        check();
      });
    },
  };
}

/**
 * Whether anything still listens on 127.0.0.1:`port`: "ECONNREFUSED" once the loopback server is
 * closed. Not by listening on the port ourselves: on a shared machine another process may hold that
 * port number by then without listening (an outgoing connection's local port, or its TIME_WAIT),
 * which made such a probe fail with EADDRINUSE; only a listener accepts a connection.
 */
function connectionOutcome(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.setTimeout(5000, () => {
      socket.destroy();
      resolve("no answer");
    });
    socket.once("connect", () => {
      socket.destroy();
      resolve("connected");
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

const AUTHORIZE_URL = /(http:\/\/127\.0\.0\.1:\d+\/auth\?\S+)/;
/** Over SSH without X forwarding: no $BROWSER, no display. */
const OVER_SSH = {
  BROWSER: undefined,
  DISPLAY: undefined,
  WAYLAND_DISPLAY: undefined,
  SSH_CONNECTION: "192.0.2.7 50022 192.0.2.1 22",
};

describe("login flows", () => {
  let server: AuthServer;
  let cli: CliHarness;
  beforeAll(async () => {
    server = await startAuthServer({ accessTokenTtl: 600 });
    cli = cliHarness(server);
  });
  afterAll(async () => {
    cli?.cleanup();
    await server?.close();
  });

  it("--device: shows the user code, opens the verification page, polls until approved", async () => {
    const result = await cli.oauthx(["login", "local", "--device", "--profile", "device"]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/and enter the code: [A-Z]{4}-?[A-Z]{4}/);
    // RFC 8628 §3.2 expires_in: a person who steps away knows whether to start over.
    expect(result.stderr).toMatch(/and enter the code: \S+\nThe code expires in \d+m \(at \d\d:\d\d\)\.\n/);
    expect(result.stderr).toContain("Logged in to Local Test Server as alice@example.test (profile device).");
    const token = await cli.oauthx(["token", "local", "--profile", "device"]);
    expect(token.code).toBe(0);
  }, 60_000);

  it("a denied consent ends with AUTH_DENIED (exit 5) and stores nothing", async () => {
    const result = await cli.oauthx(["login", "local", "--profile", "denied"], {
      env: { BOT_DECISION: "deny" },
    });
    expect(result.code).toBe(5);
    expect(result.stderr).toContain("[AUTH_DENIED]");
    expect(result.stderr).toContain("access_denied");
    const status = JSON.parse((await cli.oauthx(["status", "--json"])).stdout) as { profile: string }[];
    expect(status.map((row) => row.profile)).not.toContain("denied");
  });

  it("nobody comes back: CALLBACK_TIMEOUT after --timeout, with the loopback port closed", async () => {
    const result = await cli.oauthx(["login", "local", "--timeout", "1s"], { env: { BROWSER: "/bin/true" } });
    expect(result.code).toBe(5);
    expect(result.stderr).toContain("[CALLBACK_TIMEOUT]");
    const port = Number(/redirect_uri=http%3A%2F%2F127\.0\.0\.1%3A(\d+)/.exec(result.stderr)?.[1]);
    expect(port).toBeGreaterThan(0);
    expect(await connectionOutcome(port)).toBe("ECONNREFUSED");
  });

  it("Ctrl-C (SIGINT) ends the login with exit 130 and closes the loopback server", async () => {
    const child = spawn(BIN.oauthx, ["login", "local", "--timeout", "60s"], {
      env: { ...cli.env, BROWSER: "/bin/true" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const port = await new Promise<number>((resolve) => {
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
        stderr += chunk;
        const match = /redirect_uri=http%3A%2F%2F127\.0\.0\.1%3A(\d+)/.exec(stderr);
        if (match) resolve(Number(match[1]));
      });
    });
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(stderr).toContain("[INTERRUPTED]");
    expect(await connectionOutcome(port)).toBe("ECONNREFUSED");
  });

  it("--port taken: PORT_IN_USE names the port", async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", () => resolve()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const result = await cli.oauthx(["login", "local", "--port", String(port)]);
      expect(result.code).toBe(5);
      expect(result.stderr).toContain("[PORT_IN_USE]");
      expect(result.stderr).toContain(String(port));
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it("an http endpoint off loopback is a configuration error before any request", async () => {
    const before = server.counters.tokenRequests;
    const file = join(cli.home, "providers.yaml");
    const original = readFileSync(file, "utf8");
    writeFileSync(
      file,
      [
        "providers:",
        "  local:",
        "    name: Local Test Server",
        `    issuer: ${server.issuer}`,
        `    client_id: ${NATIVE_CLIENT_ID}`,
        "  plain:",
        "    name: Plain HTTP",
        "    client_id: x",
        "    authorization_endpoint: http://auth.example.com/authorize",
        "    token_endpoint: http://auth.example.com/token",
        "",
      ].join("\n"),
    );
    try {
      const result = await cli.oauthx(["login", "plain"]);
      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(
        /providers\.yaml:9:\d+: provider "plain", field authorization_endpoint: must use https/,
      );
      expect(server.counters.tokenRequests).toBe(before);
    } finally {
      writeFileSync(file, original);
    }
  });

  it("--no-browser on a terminal: the redirected address pasted back completes the login", async () => {
    // `script` gives oauthx a terminal, as over SSH; the browser runs elsewhere and cannot reach
    // this machine's loopback, so its final address is pasted.
    const command = `${BIN.oauthx} login local --no-browser --profile pasted --timeout 30s`;
    const child = spawnOnTerminal(command, cli.env);
    let output = "";
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL in: ${output}`)), 20_000);
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        output += chunk;
        const match = /(http:\/\/127\.0\.0\.1:\d+\/auth\?\S+)/.exec(output);
        if (match && output.includes("paste the address")) {
          clearTimeout(timer);
          resolve(match[1] as string);
        }
      });
    });
    const browser = await browserlessLogin(url, { login: "dave", deliver: false });
    expect(browser.redirect?.pathname).toBe("/callback");
    child.stdin.write(`${browser.redirect?.toString()}\n`);
    expect(await exited).toBe(0);
    expect(output).toContain("Logged in to Local Test Server as dave@example.test (profile pasted).");
  });

  it("--no-browser: a bad paste is said and asked for again, an empty line skipped, a mistyped code too; the right one logs in", async () => {
    const terminal = onTerminal(
      `${BIN.oauthx} login local --no-browser --profile repasted --timeout 30s`,
      cli.env,
    );
    const [, url] = await terminal.waitFor(AUTHORIZE_URL);
    await terminal.waitFor(/paste the address/);
    const browser = await browserlessLogin(url as string, { login: "erin", deliver: false });
    const redirect = browser.redirect as URL;

    let mark = terminal.output().length;
    terminal.type("not an address");
    await terminal.waitFor(/That did not work: the pasted text is not a URL \[INVALID_RESPONSE\]/, mark);
    await terminal.waitFor(/Paste the address again/, mark);
    // A stray Enter is no paste (nor the end of input): asked again, the next line is still read.
    mark = terminal.output().length;
    terminal.type("");
    await terminal.waitFor(/Paste the address again/, mark);

    // A code cut short in the copy: the token endpoint refuses it (invalid_grant); not the end.
    const mangled = new URL(redirect);
    mangled.searchParams.set("code", (redirect.searchParams.get("code") as string).slice(0, -4));
    mark = terminal.output().length;
    terminal.type(mangled.toString());
    await terminal.waitFor(/That did not work: .*invalid_grant.* \[TOKEN_EXCHANGE_FAILED\]/, mark);

    terminal.type(redirect.toString());
    expect(await terminal.exited, terminal.output()).toBe(0);
    expect(terminal.output()).toContain(
      "Logged in to Local Test Server as erin@example.test (profile repasted).",
    );
  });

  it("over SSH with no display, login offers the paste-back path at once and mentions --device", async () => {
    const terminal = onTerminal(`${BIN.oauthx} login local --profile ssh --timeout 30s`, {
      ...cli.env,
      ...OVER_SSH,
    });
    const [, url] = await terminal.waitFor(AUTHORIZE_URL);
    await terminal.waitFor(/paste the address/);
    expect(terminal.output()).toContain("No browser can open here (over SSH)");
    expect(terminal.output()).toContain(
      "also has the device flow, which needs no browser here: run again with --device",
    );
    const browser = await browserlessLogin(url as string, { login: "frank", deliver: false });
    terminal.type((browser.redirect as URL).toString());
    expect(await terminal.exited, terminal.output()).toBe(0);
    expect(terminal.output()).toContain(
      "Logged in to Local Test Server as frank@example.test (profile ssh).",
    );
  });

  it("a $BROWSER that fails (BROWSER=/bin/false) is said, and the paste-back path offered", async () => {
    const terminal = onTerminal(`${BIN.oauthx} login local --profile false-browser --timeout 30s`, {
      ...cli.env,
      BROWSER: "/bin/false",
    });
    const [, url] = await terminal.waitFor(AUTHORIZE_URL);
    await terminal.waitFor(/paste the address/);
    expect(terminal.output()).toContain("Could not start a browser: open the URL yourself.");
    const browser = await browserlessLogin(url as string, { login: "grace", deliver: false });
    terminal.type((browser.redirect as URL).toString());
    expect(await terminal.exited, terminal.output()).toBe(0);
  });

  it("doctor over SSH with no display does not claim a browser opens", async () => {
    const result = await cli.oauthx(["doctor", "--offline", "--json"], { env: OVER_SSH });
    const findings = JSON.parse(result.stdout) as { check: string; status: string; detail: string }[];
    const browser = findings.find((finding) => finding.check === "browser");
    expect(browser?.status).toBe("warn");
    expect(browser?.detail).toContain("no browser can open here (over SSH)");
    expect(browser?.detail).not.toContain("opens with");
  });

  it("a host that does not resolve or answer fails in seconds, named, before any URL is shown", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", () => resolve()));
    const closedPort = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    const file = join(cli.home, "providers.yaml");
    const original = readFileSync(file, "utf8");
    const endpoints = (base: string) => [
      "    client_id: x",
      `    authorization_endpoint: ${base}/authorize`,
      `    token_endpoint: ${base}/token`,
    ];
    writeFileSync(
      file,
      [
        original.trimEnd(),
        "  mistyped:",
        "    name: Mistyped Host",
        ...endpoints("https://nosuch.invalid"),
        "  closed:",
        "    name: Closed Port",
        ...endpoints(`http://127.0.0.1:${closedPort}`),
        "",
      ].join("\n"),
    );
    try {
      for (const [provider, host, problem] of [
        ["mistyped", "nosuch.invalid", "does not resolve"],
        ["closed", `127.0.0.1:${closedPort}`, "refuses connections"],
      ] as const) {
        const started = Date.now();
        const result = await cli.oauthx(["login", provider, "--timeout", "60s"], {
          env: { BROWSER: "/bin/true" },
        });
        expect(Date.now() - started).toBeLessThan(10_000);
        expect(result.code, result.stderr).toBe(7);
        expect(result.stderr).toContain(`the authorization endpoint's host ${host} ${problem} [NETWORK]`);
        expect(result.stderr).toContain(`oauthx providers show ${provider}`);
        expect(result.stderr).not.toContain("Open this URL");
      }
    } finally {
      writeFileSync(file, original);
    }
  });

  it("Ctrl-C while the host check waits on a silent host ends the login at once, before any URL", async () => {
    const silent = await silentHost();
    const file = join(cli.home, "providers.yaml");
    const original = readFileSync(file, "utf8");
    const base = `http://127.0.0.1:${silent.port}`;
    writeFileSync(
      file,
      [
        original.trimEnd(),
        "  silent:",
        "    name: Silent Host",
        "    client_id: x",
        `    authorization_endpoint: ${base}/authorize`,
        `    token_endpoint: ${base}/token`,
        "",
      ].join("\n"),
    );
    try {
      const child = spawn(BIN.oauthx, ["login", "silent", "--timeout", "60s"], {
        env: { ...cli.env, BROWSER: "/bin/true" },
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
        stderr += chunk;
      });
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      // Well inside the check's 6 s, which is still waiting for the host's answer.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const interrupted = Date.now();
      child.kill("SIGINT");
      expect(await exited, stderr).toBe(130);
      expect(Date.now() - interrupted).toBeLessThan(3000);
      expect(stderr).toContain("[INTERRUPTED]");
      expect(stderr).not.toContain("Open this URL");
    } finally {
      writeFileSync(file, original);
      silent.stop();
    }
  });
});

/**
 * A host that neither answers nor refuses: a listener whose process never accepts (its event loop
 * blocked) and whose accept queue the test fills, so the kernel drops further SYNs unanswered, as a
 * firewall does.
 */
async function silentHost(): Promise<{ port: number; stop: () => void }> {
  const script =
    "const s = require('node:net').createServer();" +
    "s.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {" +
    "  process.stdout.write(s.address().port + '\\n');" +
    "  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120000);" +
    "});";
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve) =>
    child.stdout.setEncoding("utf8").once("data", (line: string) => resolve(Number(line.trim()))),
  );
  const fillers: Socket[] = [];
  // Fill the accept queue: until a connection is left without an answer.
  for (let i = 0; i < 8; i++) {
    const socket = connect({ host: "127.0.0.1", port });
    socket.on("error", () => {});
    fillers.push(socket);
    const answered = await new Promise<boolean>((resolve) => {
      socket.once("connect", () => resolve(true));
      setTimeout(() => resolve(false), 500);
    });
    if (!answered) break;
  }
  return {
    port,
    stop: () => {
      for (const socket of fillers) socket.destroy();
      child.kill("SIGKILL");
    },
  };
}
