// `node scripts/smoke-keychain.ts <binary>`: the store's identity in this machine's OS keychain
// (macOS Keychain Services, Windows Credential Manager, the Secret Service on Linux), with the
// built binary. The release workflow runs it on the macOS and Windows runners, where the e2e
// tests (test/e2e/keychain.test.ts, Linux with gnome-keyring) cannot go. In a temporary OAUTHX_HOME:
//   1. a store with a warm token, written through the store API (identity.txt, as a login makes);
//   2. `identity move keychain`: then no AGE-SECRET-KEY under OAUTHX_HOME, `identity --json` says
//      the keychain answers, and `token` prints the stored token (the store opens with the key);
//   3. `identity move file`: identity.txt is back, the keychain item gone, `token` still works.
// Prints no key and no token; exits 1 naming the failed check. The item is deleted at the end.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import process from "node:process";
import { withEntry } from "../src/store/document.ts";
import { openStore } from "../src/store/file/store.ts";

const binary = process.argv[2];
if (!binary) {
  process.stderr.write("usage: node scripts/smoke-keychain.ts <binary>\n");
  process.exit(2);
}
const root = mkdtempSync(join(tmpdir(), "oauthx-keychain-smoke-"));
const home = join(root, "home");
const token = `smoke_${Date.now()}`;
const env: Record<string, string | undefined> = { ...process.env, OAUTHX_HOME: home };
delete env.OAUTHX_AGE_IDENTITY;
delete env.OAUTHX_AGE_IDENTITY_FILE;

function oauthx(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const ran = spawnSync(resolve(binary as string), args, { env, encoding: "utf8", timeout: 30_000 });
  return { status: ran.status, stdout: ran.stdout ?? "", stderr: ran.stderr ?? "" };
}

function check(ok: boolean, what: string, detail = ""): void {
  if (ok) {
    process.stderr.write(`ok: ${what}\n`);
    return;
  }
  process.stderr.write(`FAILED: ${what}${detail ? `\n${detail}` : ""}\n`);
  oauthx(["identity", "move", "file"]);
  rmSync(root, { recursive: true, force: true });
  process.exit(1);
}

const keyUnderHome = () =>
  readdirSync(home, { recursive: true, encoding: "utf8" })
    .map((name) => join(home, name))
    .some((file) => statSync(file).isFile() && readFileSync(file, "latin1").includes("AGE-SECRET-KEY"));

const now = Math.floor(Date.now() / 1000);
await openStore({ home, env: {} }).update((document) =>
  withEntry(document, "github", "default", {
    access_token: token,
    token_type: "bearer",
    expires_at: now + 86_400,
    obtained_at: now,
    scopes: [],
  }),
);

const moved = oauthx(["identity", "move", "keychain"]);
check(moved.status === 0, "identity move keychain", moved.stderr);
check(!keyUnderHome(), "no AGE-SECRET-KEY under OAUTHX_HOME");
const shown = oauthx(["identity", "--json"]);
const status = JSON.parse(shown.stdout || "{}");
check(
  status.home === "keychain" && status.answers === true,
  "identity: in the keychain, answers",
  shown.stderr,
);
const first = oauthx(["token", "github"]);
check(
  first.status === 0 && first.stdout.trim() === token,
  "token with the key in the keychain",
  first.stderr,
);

const back = oauthx(["identity", "move", "file"]);
check(back.status === 0 && existsSync(join(home, "identity.txt")), "identity move file", back.stderr);
check(!existsSync(join(home, "identity-location.json")), "the marker is gone");
const second = oauthx(["token", "github"]);
check(
  second.status === 0 && second.stdout.trim() === token,
  "token with the key in a file again",
  second.stderr,
);

rmSync(root, { recursive: true, force: true });
process.stderr.write("keychain smoke test passed\n");
