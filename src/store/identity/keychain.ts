// The OS keychain, reached through the runtime's own access (Bun.secrets: Keychain Services on
// macOS, the freedesktop Secret Service through libsecret on Linux and BSD, Credential Manager on
// Windows), so the key never passes through a helper process or its argv. Node and Deno have no
// such access: there every call fails with a clear error rather than falling back to a file.
//
// Every call has a bound (KEYCHAIN_TIMEOUT_MS): a Secret Service that does not answer (a stopped
// daemon, a prompt nobody will see over SSH) must not hang oauthx. Messages name the keychain and
// the item, never the value.

import { OauthxError } from "../../errors.ts";
import { defaultCollectionLocked } from "./keyring-locked.ts";

/** Long enough for a cold libsecret connection (tens of ms), short enough that nobody waits. */
export const KEYCHAIN_TIMEOUT_MS = 2000;
export const KEYCHAIN_SERVICE = "oauthx";

/** One keychain item: the service and the account (name) it is filed under. */
export interface KeychainItem {
  service: string;
  account: string;
}

interface SecretsApi {
  get(options: { service: string; name: string }): Promise<string | null>;
  set(options: {
    service: string;
    name: string;
    value: string;
    allowUnrestrictedAccess?: boolean;
  }): Promise<void>;
  delete(options: { service: string; name: string }): Promise<boolean>;
}

/** The platform's keychain, by the name its users know it by. */
export function keychainName(platform: string = process.platform): string {
  if (platform === "darwin") return "the macOS Keychain";
  if (platform === "win32") return "Windows Credential Manager";
  return "the Secret Service keyring";
}

export function describeItem(item: KeychainItem): string {
  return `${keychainName()} item ${item.service}/${item.account}`;
}

const HEADLESS_REMEDY =
  "unlock the keychain and retry; or run `oauthx identity move file`; or set OAUTHX_AGE_IDENTITY for headless use";

function secrets(item: KeychainItem): SecretsApi {
  const api = (globalThis as { Bun?: { secrets?: SecretsApi } }).Bun?.secrets;
  if (api === undefined) {
    throw new OauthxError(
      "KEYCHAIN_UNAVAILABLE",
      `the age identity is in ${describeItem(item)}, which this runtime cannot reach: only the Bun-built oauthx can`,
      {
        remedy:
          "use the oauthx binary built with Bun; or set OAUTHX_AGE_IDENTITY; or run `oauthx identity move file` there",
      },
    );
  }
  return api;
}

/** Runs one keychain call within the bound; any failure becomes KEYCHAIN_UNAVAILABLE naming the item. */
async function bounded<T>(item: KeychainItem, what: string, call: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new OauthxError(
            "KEYCHAIN_UNAVAILABLE",
            `${keychainName()} did not answer within ${KEYCHAIN_TIMEOUT_MS / 1000} s (${what} ${item.service}/${item.account})`,
            { remedy: HEADLESS_REMEDY },
          ),
        ),
      KEYCHAIN_TIMEOUT_MS,
    );
    // A call stuck in the OS must not keep the process alive after the error is reported.
    (timer as { unref?: () => void }).unref?.();
  });
  try {
    return await Promise.race([call(), timeout]);
  } catch (error) {
    if (error instanceof OauthxError) throw error;
    throw new OauthxError(
      "KEYCHAIN_UNAVAILABLE",
      `${keychainName()} could not be reached (${what} ${item.service}/${item.account}): ${platformReason(error)}`,
      { remedy: HEADLESS_REMEDY },
    );
  } finally {
    clearTimeout(timer);
  }
}

/** The OS's own words (no D-Bus session, no such collection), cleaned and cut to one line. */
function platformReason(error: unknown): string {
  const text = error instanceof Error ? error.message : "unknown error";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  return text.replace(/[\u0000-\u001f\u007f]+/g, " ").slice(0, 160);
}

/** The item's text. A missing item (deleted, or hidden by a locked collection) is an error naming it. */
export async function keychainRead(item: KeychainItem): Promise<string> {
  const api = secrets(item);
  const value = await bounded(item, "reading", () => api.get({ service: item.service, name: item.account }));
  if (value === null || value === "") {
    if ((await defaultCollectionLocked()) === true) {
      throw new OauthxError(
        "KEYCHAIN_UNAVAILABLE",
        `${keychainName()} is locked, so ${describeItem(item)} (the store's age identity) cannot be read`,
        {
          remedy:
            "unlock it (log in to the desktop session, or `gnome-keyring-daemon --unlock`); or set OAUTHX_AGE_IDENTITY for headless use",
        },
      );
    }
    throw new OauthxError(
      "KEYCHAIN_UNAVAILABLE",
      `${describeItem(item)}, which holds the store's age identity, was not found`,
      {
        remedy:
          "if it was deleted, restore it, or set OAUTHX_AGE_IDENTITY to a backup of the key; if the keychain is locked, unlock it and retry",
      },
    );
  }
  return value;
}

export async function keychainWrite(item: KeychainItem, value: string): Promise<void> {
  const api = secrets(item);
  // macOS binds an item to the code signature of the program that wrote it, and asks again after
  // every upgrade of an ad-hoc-signed binary — a dialog the 2 s bound would cut off. Unrestricted
  // access (macOS only; ignored elsewhere) makes the item readable without a dialog, as Secret
  // Service items are: docs/security.md "Where the key is" says what that leaves open.
  await bounded(item, "writing", () =>
    api.set({ service: item.service, name: item.account, value, allowUnrestrictedAccess: true }),
  );
}

/** True when an item was deleted, false when there was none. */
export async function keychainDelete(item: KeychainItem): Promise<boolean> {
  const api = secrets(item);
  return await bounded(item, "deleting", () => api.delete({ service: item.service, name: item.account }));
}

/** Whether this runtime has keychain access at all (doctor, `oauthx identity`). */
export function keychainSupported(): boolean {
  return (globalThis as { Bun?: { secrets?: unknown } }).Bun?.secrets !== undefined;
}
