// Ctrl-C or SIGTERM while a rotating refresh is in flight: the server has already spent the old
// refresh token, so oauthx holds the signal until the new one is stored, then ends as signalled.

import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { getEntry, withEntry } from "../../src/store/document.ts";
import { openStore } from "../../src/store/file/store.ts";
import { BIN } from "../support/run-node.ts";

describe.each(["SIGTERM", "SIGINT"] as const)("%s during a rotating refresh", (signal) => {
  let root: string;
  let home: string;
  let server: Server;
  let onRefresh: () => void;

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), "oauthx-signal-"));
    home = join(root, "home");
    mkdirSync(home, { mode: 0o700 });
    // A token endpoint that rotates slowly: it tells the test when the request arrived, then
    // answers 600 ms later with a new refresh token (the old one is now dead at the "server").
    server = createServer((request, response) => {
      request.resume();
      request.on("end", () => {
        onRefresh();
        setTimeout(() => {
          response.writeHead(200, { "content-type": "application/json" });
          response.end(
            JSON.stringify({
              access_token: "at-2",
              token_type: "Bearer",
              expires_in: 3600,
              refresh_token: "rt-2",
            }),
          );
        }, 600);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const port = (server.address() as { port: number }).port;
    writeFileSync(
      join(home, "providers.yaml"),
      [
        "providers:",
        "  slow:",
        "    name: Slow Rotating Server",
        "    client_id: cli",
        `    authorization_endpoint: http://127.0.0.1:${port}/authorize`,
        `    token_endpoint: http://127.0.0.1:${port}/token`,
        "",
      ].join("\n"),
    );
    const store = openStore({ home, env: {} });
    await store.update((document) =>
      withEntry(document, "slow", "default", {
        access_token: "at-1",
        token_type: "Bearer",
        refresh_token: "rt-1",
        expires_at: Math.floor(Date.now() / 1000) - 1,
        scopes: [],
        obtained_at: Math.floor(Date.now() / 1000) - 3600,
      }),
    );
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(root, { recursive: true, force: true });
  });

  it("keeps the rotated refresh token, then ends with the signal", async () => {
    const child = spawn(BIN.oauthx, ["token", "slow"], {
      env: { PATH: process.env.PATH, HOME: root, OAUTHX_HOME: home },
      stdio: ["ignore", "pipe", "pipe"],
    });
    onRefresh = () => child.kill(signal);
    const [code, received] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.once("exit", (exitCode, exitSignal) => resolve([exitCode, exitSignal])),
    );
    expect(received ?? code).toBe(signal);
    const stored = getEntry(await openStore({ home, env: {} }).read(), "slow", "default");
    expect(stored?.refresh_token).toBe("rt-2");
    expect(stored?.access_token).toBe("at-2");
  });
});
