// What a person types on the command line and what oauthx makes of it: durations as oauthx prints
// them (`1h30m`), a negative one (or a --timeout of zero) named as such, `--json` read from
// oauthx's own words only (never a child's after `--`), and usage errors as JSON when --json asks
// for JSON.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDuration } from "../../src/cli/duration.ts";
import { formatDuration } from "../../src/cli/output.ts";
import { main } from "../../src/main.ts";
import { fakeContext } from "../support/fake-context.ts";

describe("duration flags", () => {
  it("take the units alone and combined, largest first", () => {
    expect(parseDuration("90", "--min-ttl")).toBe(90);
    expect(parseDuration("5m", "--min-ttl")).toBe(300);
    expect(parseDuration("1h30m", "--min-ttl")).toBe(5400);
    expect(parseDuration("1m30s", "--min-ttl")).toBe(90);
    expect(parseDuration("2h5m10s", "--min-ttl")).toBe(7510);
    expect(parseDuration("500ms", "--timeout")).toBe(0.5);
  });

  it("take back everything formatDuration prints", () => {
    for (const seconds of [0, 45, 90, 300, 3600, 3900, 5400, 86_400]) {
      expect(parseDuration(formatDuration(seconds), "--min-ttl")).toBe(seconds);
    }
  });

  it("refuse a negative value, a unit out of order and nonsense, naming the flag", () => {
    expect(() => parseDuration("-5m", "--min-ttl")).toThrow(/--min-ttl cannot be negative \("-5m"\)/);
    expect(() => parseDuration("30m1h", "--min-ttl")).toThrow(/--min-ttl takes a duration like/);
    expect(() => parseDuration("5x", "--min-ttl")).toThrow(/not "5x"/);
    expect(() => parseDuration("", "--min-ttl")).toThrow(/takes a duration/);
  });
});

describe("argv", () => {
  let home: string;
  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), "oauthx-argv-"));
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it("--min-ttl -5m is called negative, not a flag without a value", async () => {
    const ctx = fakeContext({ home });
    expect(await main(["token", "local", "--min-ttl", "-5m"], ctx)).toBe(2);
    expect(ctx.err()).toContain('flag --min-ttl cannot be negative ("-5m")');
    expect(ctx.err()).not.toContain("takes no value");
  });

  it("login --timeout 0 is a usage error, as a negative one is, before any wait", async () => {
    for (const zero of ["0", "0s", "0m0s"]) {
      const ctx = fakeContext({ home });
      expect(await main(["login", "local", "--client-id", "cli", "--timeout", zero], ctx)).toBe(2);
      expect(ctx.err()).toContain(`--timeout must be more than zero ("${zero}")`);
      expect(ctx.err()).not.toContain("CALLBACK_TIMEOUT");
    }
    expect(() => parseDuration("0", "--min-ttl")).not.toThrow();
  });

  it("a value that starts with a dash is explained", async () => {
    const ctx = fakeContext({ home });
    expect(await main(["login", "local", "--client-id", "-abc"], ctx)).toBe(2);
    expect(ctx.err()).toContain(
      'flag --client-id needs a value, and the word after it starts with "-" (write --client-id=VALUE',
    );
  });

  it("--min-ttl 1h30m gets past the parser (to the unknown provider)", async () => {
    const ctx = fakeContext({ home });
    expect(await main(["token", "nosuch", "--min-ttl", "1h30m"], ctx)).toBe(3);
    expect(ctx.err()).toContain("[UNKNOWN_PROVIDER]");
  });

  it("exec: a --json after -- is the child's; oauthx's error stays text", async () => {
    const ctx = fakeContext({ home });
    expect(await main(["exec", "githib", "--", "cmd", "--json"], ctx)).toBe(3);
    expect(ctx.err()).toMatch(
      /^error: unknown provider "githib"; did you mean "github"\? \[UNKNOWN_PROVIDER\]/,
    );
  });

  it("a usage error with --json is one JSON object, with the usage as remedy", async () => {
    const ctx = fakeContext({ home });
    expect(await main(["token", "--json"], ctx)).toBe(2);
    const printed = JSON.parse(ctx.err()) as { error: { code: string; message: string; remedy: string } };
    expect(printed.error.code).toBe("USAGE");
    expect(printed.error.message).toBe("missing argument: <provider>");
    expect(printed.error.remedy).toContain("usage: oauthx token <provider> [flags]");
  });

  it("an unknown command with --json is one JSON object too", async () => {
    const ctx = fakeContext({ home });
    expect(await main(["stauts", "--json"], ctx)).toBe(2);
    expect(JSON.parse(ctx.err())).toMatchObject({
      error: { code: "USAGE", message: 'unknown command "stauts"; did you mean "status"?' },
    });
  });

  it("--json on a command without it is an unknown flag, said in text", async () => {
    const ctx = fakeContext({ home });
    expect(await main(["exec", "github", "--json", "--", "cmd"], ctx)).toBe(2);
    expect(ctx.err()).toContain("error: unknown flag --json");
  });
});
