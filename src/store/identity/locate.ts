// Where the store's identity comes from, in this order (docs/security.md "Where the key is"):
// OAUTHX_AGE_IDENTITY, then OAUTHX_AGE_IDENTITY_FILE (both win, as CI relies on), then the marker:
// if it exists, the keychain item it names and nothing else; otherwise identity.txt. The store
// asks only this, and does not know which home the key has.
//
// Reading takes no lock, so a reader may look while `identity move` runs in another process (see
// move.ts for its order). Each home is given up only once the other is in place, so a reader that
// finds neither where it looked checks the marker once more: the move has just completed.

import { OauthxError } from "../../errors.ts";
import type { HomeFiles } from "../home-files.ts";
import { explicitIdentityConfigured, type Identity, parseIdentityText, resolveIdentity } from "./identity.ts";
import { describeItem, keychainRead } from "./keychain.ts";
import { readMarker } from "./marker.ts";
import { cachedIdentity, cacheEnabled, cacheIdentity } from "./memory-cache.ts";

type Env = Readonly<Record<string, string | undefined>>;

/** The identity, or undefined when there is none yet (no marker, no identity.txt). */
export async function locateIdentity(env: Env, files: HomeFiles): Promise<Identity | undefined> {
  if (explicitIdentityConfigured(env)) return resolveIdentity(env, files.identity);
  const marker = readMarker(files.identityMarker);
  if (marker === undefined) {
    const file = resolveIdentity(env, files.identity);
    // identity.txt removed since the marker was looked for: the move to the keychain just finished.
    if (file === undefined && readMarker(files.identityMarker) !== undefined)
      return locateIdentity(env, files);
    return file;
  }
  const source = describeItem(marker.item);
  const useCache = cacheEnabled(env);
  const cached = useCache ? await cachedIdentity(marker.item.account) : undefined;
  let text: string;
  try {
    text = cached ?? (await keychainRead(marker.item));
  } catch (error) {
    // The marker gone meanwhile: the move to a file just finished (and deleted the item).
    if (readMarker(files.identityMarker) === undefined) return resolveIdentity(env, files.identity);
    throw error;
  }
  const keys = parseIdentityText(text);
  if (keys === undefined) {
    throw new OauthxError("STORE_CORRUPT", `${source} holds no age identity`, {
      remedy: "restore the item from a backup of the key, or set OAUTHX_AGE_IDENTITY",
    });
  }
  if (useCache && cached === undefined) await cacheIdentity(marker.item.account, text);
  return { keys, source, explicit: false };
}
