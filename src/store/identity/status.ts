// Where the identity is and whether it answers, for `oauthx identity` and `doctor`: never the key.

import { existsSync } from "node:fs";
import { isOauthxError, toOauthxError } from "../../errors.ts";
import type { HomeFiles } from "../home-files.ts";
import { IDENTITY_ENV, IDENTITY_FILE_ENV } from "./identity.ts";
import { describeItem, KEYCHAIN_SERVICE, keychainName, keychainRead, keychainSupported } from "./keychain.ts";
import { locateIdentity } from "./locate.ts";
import { readMarker } from "./marker.ts";

type Env = Readonly<Record<string, string | undefined>>;

export interface IdentityStatus {
  home: "env" | "env-file" | "file" | "keychain" | "none";
  /** The env variable, the file path or the keychain item. */
  where: string;
  /** The identity was read and parsed just now. */
  answers: boolean;
  problem?: { code: string; message: string; remedy?: string };
  /** Whether this runtime's keychain answers (a probe of an item that need not exist). */
  keychain: { name: string; answers: boolean; reason?: string };
}

export async function identityStatus(env: Env, files: HomeFiles): Promise<IdentityStatus> {
  const home: IdentityStatus["home"] = env[IDENTITY_ENV]
    ? "env"
    : env[IDENTITY_FILE_ENV]
      ? "env-file"
      : existsSync(files.identityMarker)
        ? "keychain"
        : existsSync(files.identity)
          ? "file"
          : "none";
  let where: string =
    home === "env" ? IDENTITY_ENV : home === "env-file" ? String(env[IDENTITY_FILE_ENV]) : files.identity;
  let answers = false;
  let problem: IdentityStatus["problem"];
  try {
    if (home === "keychain") {
      const marker = readMarker(files.identityMarker);
      if (marker) where = describeItem(marker.item);
    }
    answers = (await locateIdentity(env, files)) !== undefined;
  } catch (error) {
    const typed = toOauthxError(error);
    problem = { code: typed.code, message: typed.message, ...(typed.remedy ? { remedy: typed.remedy } : {}) };
  }
  return { home, where, answers, ...(problem ? { problem } : {}), keychain: await probeKeychain() };
}

/** Asks the keychain for an item nobody writes: an answer (even "none") means it is reachable. */
async function probeKeychain(): Promise<IdentityStatus["keychain"]> {
  const name = keychainName();
  if (!keychainSupported()) return { name, answers: false, reason: "this runtime has no keychain access" };
  try {
    await keychainRead({ service: KEYCHAIN_SERVICE, account: "probe" });
    return { name, answers: true };
  } catch (error) {
    // "not found" is an answer; anything else (no D-Bus, a timeout) is not.
    if (isOauthxError(error) && error.message.includes("was not found")) return { name, answers: true };
    return { name, answers: false, reason: toOauthxError(error).message };
  }
}
