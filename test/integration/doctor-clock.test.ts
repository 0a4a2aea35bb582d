// `doctor`'s clock check (issue 24: "could not be reached" in 1 run of 10–20 while the server
// answered every request). Cause: the check was the one request made with a bare fetch, so a
// connection reset before the server read the request failed it outright. The fake resets the
// first connection every time, making that failure certain.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diagnose } from "../../src/cli/inspect/doctor.ts";
import { type TokenEntry, withEntry } from "../../src/store/document.ts";
import { openStore } from "../../src/store/file/store.ts";
import { fakeContext } from "../support/fake-context.ts";
import {
  type ConnectionResetOnce,
  startConnectionResetOnce,
} from "../support/quirk-connection-reset-once.ts";

describe("doctor: clock check", () => {
  let server: ConnectionResetOnce;
  let home: string;
  beforeAll(async () => {
    server = await startConnectionResetOnce();
    home = mkdtempSync(join(tmpdir(), "oauthx-doctor-"));
    // A public and a confidential client of one server, as two providers.
    const entry = (id: string) =>
      [
        `  ${id}:`,
        `    name: ${id}`,
        `    authorization_endpoint: ${server.url}/o/authorize/`,
        `    token_endpoint: ${server.url}/o/token/`,
        `    client_id: ${id}-client`,
      ].join("\n");
    writeFileSync(
      join(home, "providers.yaml"),
      `providers:\n${entry("dot-public")}\n${entry("dot-private")}\n`,
    );
    const now = Math.floor(Date.now() / 1000);
    const login: TokenEntry = {
      access_token: "a",
      token_type: "Bearer",
      scopes: [],
      obtained_at: now,
      expires_at: now + 3600,
    };
    await openStore({ home, env: {} }).update((document) =>
      withEntry(withEntry(document, "dot-public", "default", login), "dot-private", "default", login),
    );
  });
  afterAll(async () => {
    await server?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it("retries a HEAD whose connection was reset on a new one (RFC 9112 §9.3.1), once per server", async () => {
    for (let run = 0; run < 3; run++) {
      server.rearm();
      const before = { answered: server.answered, reset: server.reset };
      const findings = await diagnose(fakeContext({ home, env: {} }), { offline: false });
      const clocks = findings.filter((finding) => finding.check.startsWith("clock vs"));
      expect(clocks.map((finding) => [finding.check, finding.status, finding.detail])).toEqual([
        ["clock vs dot-public", "ok", expect.stringMatching(/^within [01] s of 127\.0\.0\.1:\d+$/)],
        ["clock vs dot-private", "ok", expect.stringMatching(/^within [01] s of 127\.0\.0\.1:\d+$/)],
      ]);
      // One reset connection, one answered HEAD: both providers share the measurement.
      expect([server.answered - before.answered, server.reset - before.reset]).toEqual([1, 1]);
    }
  });

  it("names what failed when the server cannot be reached", async () => {
    const closed = await startConnectionResetOnce();
    await closed.close();
    const away = mkdtempSync(join(tmpdir(), "oauthx-doctor-away-"));
    try {
      writeFileSync(
        join(away, "providers.yaml"),
        `providers:\n  gone:\n    name: Gone\n    authorization_endpoint: ${closed.url}/a\n    token_endpoint: ${closed.url}/t\n    client_id: c\n`,
      );
      const now = Math.floor(Date.now() / 1000);
      await openStore({ home: away, env: {} }).update((document) =>
        withEntry(document, "gone", "default", {
          access_token: "a",
          token_type: "Bearer",
          scopes: [],
          obtained_at: now,
        }),
      );
      const findings = await diagnose(fakeContext({ home: away, env: {} }), { offline: false });
      expect(findings.find((finding) => finding.check === "clock vs gone")).toMatchObject({
        status: "warn",
        detail: expect.stringMatching(
          /^could not reach 127\.0\.0\.1:\d+ \((ECONNREFUSED|ConnectionRefused)\)$/,
        ),
      });
    } finally {
      rmSync(away, { recursive: true, force: true });
    }
  });
});
