// The bench's keychain section: warm `oauthx token` with the store's identity in a real Secret
// Service (gnome-keyring-daemon on a private D-Bus session, test/support/secret-service.ts) beside
// the same store with identity.txt, in the same hyperfine passes: with the memory cache (the
// default: the kernel keyring answers) and without it (every call asks the Secret Service).
// Goal: keychain ÷ file ≤ 1.5 (docs/performance.md).

import { spawnSync } from "node:child_process";
import { cpSync, rmSync } from "node:fs";
import { join } from "node:path";
import { startSecretService } from "../test/support/secret-service.ts";

export const KEYCHAIN_TARGET = 1.5;

export interface KeychainTimes {
  file: number;
  keychain: number;
  keychainUncached: number;
}

/**
 * `seededHome` holds a store with a warm github token and its identity.txt; `time` runs hyperfine
 * passes over the commands in the given environment and returns each command's median in ms.
 */
export async function keychainTimes(
  oauthx: string,
  seededHome: string,
  dir: string,
  time: (commands: { name: string; command: string[] }[], env: Record<string, string>) => Map<string, number>,
): Promise<KeychainTimes> {
  const keyring = await startSecretService();
  const fileHome = join(dir, "keychain-bench-file");
  const keychainHome = join(dir, "keychain-bench-keychain");
  try {
    cpSync(seededHome, fileHome, { recursive: true });
    cpSync(seededHome, keychainHome, { recursive: true });
    const moved = spawnSync(oauthx, ["identity", "move", "keychain"], {
      env: { ...keyring.env, OAUTHX_HOME: keychainHome },
      encoding: "utf8",
    });
    if (moved.status !== 0) throw new Error(`oauthx identity move keychain failed: ${moved.stderr}`);
    const token = (home: string, ...extra: string[]) => [
      "env",
      `OAUTHX_HOME=${home}`,
      ...extra,
      oauthx,
      "token",
      "github",
    ];
    const medians = time(
      [
        { name: "token, identity.txt", command: token(fileHome) },
        { name: "token, keychain", command: token(keychainHome) },
        { name: "token, keychain, no cache", command: token(keychainHome, "OAUTHX_IDENTITY_CACHE=off") },
      ],
      keyring.env,
    );
    return {
      file: medians.get("token, identity.txt")!,
      keychain: medians.get("token, keychain")!,
      keychainUncached: medians.get("token, keychain, no cache")!,
    };
  } finally {
    keyring.stop();
    rmSync(fileHome, { recursive: true, force: true });
    rmSync(keychainHome, { recursive: true, force: true });
  }
}
