// `oauthx identity move keychain|file`: the store's identity changes home, under the store's lock
// (so no login creates a fresh identity meanwhile), in an order where an interruption at any step
// leaves the store opening with one of the two homes, and both hold the same key:
//
// to the keychain: write the item (a new account name), read it back, open the store with it,
//   write the marker, remove identity.txt. Before the marker, the file still decides (a stray item
//   is harmless); after it, the keychain decides and the file, if still there, is the same key.
// to a file: read the item, write identity.txt (or find the same key there), open the store with
//   it, remove the marker, delete the item. Before the marker goes, the keychain still decides.

import * as fs from "node:fs";
import * as path from "node:path";
import { OauthxError } from "../../errors.ts";
import { syncDirectory, writeFileAtomic } from "../atomic-file.ts";
import { openStore } from "../file/store.ts";
import { randomHex } from "../hex.ts";
import { type HomeFiles, homeFiles } from "../home-files.ts";
import { acquireLock } from "../lock.ts";
import { lockTimeout } from "../lock-timeout.ts";
import { ensurePrivateDirectory } from "../permissions.ts";
import {
  createIdentityFile,
  explicitIdentityConfigured,
  formatIdentityFile,
  IDENTITY_ENV,
  IDENTITY_FILE_ENV,
  parseIdentityText,
  resolveIdentity,
} from "./identity.ts";
import {
  describeItem,
  KEYCHAIN_SERVICE,
  type KeychainItem,
  keychainDelete,
  keychainRead,
  keychainWrite,
} from "./keychain.ts";
import { readMarker, writeMarker } from "./marker.ts";
import { forgetCachedIdentity } from "./memory-cache.ts";

type Env = Readonly<Record<string, string | undefined>>;

/** Credential Manager keeps at most 2560 bytes per credential (CRED_MAX_CREDENTIAL_BLOB_SIZE). */
const WINDOWS_BLOB_LIMIT = 2560;

export interface MoveOutcome {
  /** false: the identity was already there (an interrupted move is completed all the same). */
  moved: boolean;
  where: string;
}

export async function moveIdentity(
  home: string,
  env: Env,
  to: "keychain" | "file",
  now: () => number = Date.now,
): Promise<MoveOutcome> {
  if (explicitIdentityConfigured(env)) {
    throw new OauthxError(
      "CONFIG_INVALID",
      `${IDENTITY_ENV} or ${IDENTITY_FILE_ENV} is set: that identity is yours to keep, not oauthx's to move`,
      { remedy: `unset ${IDENTITY_ENV} and ${IDENTITY_FILE_ENV} to move the identity of ${home}` },
    );
  }
  const files = homeFiles(home);
  ensurePrivateDirectory(home);
  const lock = await acquireLock(files.lock, { timeoutMs: lockTimeout(undefined, env) });
  try {
    return to === "keychain" ? await toKeychain(files, now) : await toFile(files);
  } finally {
    lock.release();
  }
}

async function toKeychain(files: HomeFiles, now: () => number): Promise<MoveOutcome> {
  const existing = readMarker(files.identityMarker);
  if (existing !== undefined) {
    // Already moved; an interrupted move may have left identity.txt: remove it once it is proven the same key.
    const keys = parseIdentityText(await keychainRead(existing.item));
    const file = resolveIdentity({}, files.identity);
    if (file !== undefined && keys !== undefined && sameKeys(file.keys, keys)) removeFile(files.identity);
    return { moved: false, where: describeItem(existing.item) };
  }
  let identity = resolveIdentity({}, files.identity);
  if (identity === undefined) {
    if (fs.existsSync(files.store)) {
      throw new OauthxError("DECRYPT_FAILED", `${files.store} exists but ${files.identity} does not`, {
        remedy: `restore ${files.identity} first; a passphrase-protected store has no identity to move`,
      });
    }
    identity = await createIdentityFile(files.identity, new Date(now()));
  }
  const text = `${identity.keys.join("\n")}\n`;
  if (process.platform === "win32" && new TextEncoder().encode(text).length * 2 > WINDOWS_BLOB_LIMIT) {
    throw new OauthxError("CONFIG_INVALID", "this identity is too large for Windows Credential Manager", {
      remedy: "keep it in a file (an X25519 identity fits)",
    });
  }
  const item: KeychainItem = { service: KEYCHAIN_SERVICE, account: `age-identity-${randomHex(8)}` };
  await keychainWrite(item, text);
  const back = await keychainRead(item);
  if (back !== text) {
    await keychainDelete(item).catch(() => false);
    throw new OauthxError("KEYCHAIN_UNAVAILABLE", `${describeItem(item)} did not return what was written`, {
      remedy: `keep the identity in ${files.identity}; report this keychain`,
    });
  }
  await proveOpens(files, { OAUTHX_AGE_IDENTITY: back });
  const age = await import("age-encryption");
  const recipient = await age.identityToRecipient(identity.keys[0]!);
  await writeMarker(files.identityMarker, { version: 1, home: "keychain", item, recipient });
  removeFile(files.identity);
  return { moved: true, where: describeItem(item) };
}

async function toFile(files: HomeFiles): Promise<MoveOutcome> {
  const marker = readMarker(files.identityMarker);
  if (marker === undefined) return { moved: false, where: files.identity };
  const keys = parseIdentityText(await keychainRead(marker.item));
  if (keys === undefined) {
    throw new OauthxError("STORE_CORRUPT", `${describeItem(marker.item)} holds no age identity`, {
      remedy: "restore the item from a backup of the key, or set OAUTHX_AGE_IDENTITY",
    });
  }
  const present = resolveIdentity({}, files.identity);
  if (present !== undefined && !sameKeys(present.keys, keys)) {
    // Never two different identities: the keychain's opens the store; this one is someone else's.
    throw new OauthxError("CONFIG_INVALID", `${files.identity} holds another identity than the keychain`, {
      remedy: `move ${files.identity} away (it does not open this store), then run the move again`,
    });
  }
  if (present === undefined) {
    const text =
      keys.length === 1
        ? formatIdentityFile(keys[0]!, marker.recipient, new Date())
        : `# public key: ${marker.recipient}\n${keys.join("\n")}\n`;
    await writeFileAtomic(files.identity, new TextEncoder().encode(text), { mode: 0o600, noClobber: true });
  }
  await proveOpens(files, { OAUTHX_AGE_IDENTITY_FILE: files.identity });
  removeFile(files.identityMarker);
  await forgetCachedIdentity(marker.item.account);
  // The file decides now; a failure to delete the item leaves a copy, not a second identity.
  await keychainDelete(marker.item).catch(() => false);
  return { moved: true, where: files.identity };
}

/** Decrypts the store (if there is one) with exactly this identity, or throws DECRYPT_FAILED. */
async function proveOpens(files: HomeFiles, env: Env): Promise<void> {
  if (!fs.existsSync(files.store)) return;
  await openStore({ home: files.home, env }).read();
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((key, index) => key === b[index]);
}

function removeFile(file: string): void {
  fs.rmSync(file, { force: true });
  // The removal is durable before the command reports success.
  syncDirectory(path.dirname(file));
}
