// Where the store's identity comes from, in this order (docs/security.md "Where the key is"):
// OAUTHX_AGE_IDENTITY, then OAUTHX_AGE_IDENTITY_FILE (both win, as CI relies on), then the marker:
// if it exists, the keychain item it names and nothing else; otherwise identity.txt. The store
// asks only this, and does not know which home the key has.

import { OauthxError } from "../../errors.ts";
import type { HomeFiles } from "../home-files.ts";
import {
  explicitIdentityConfigured,
  type Identity,
  parseIdentityText,
  resolveIdentity,
} from "../identity.ts";
import { describeItem, keychainRead } from "./keychain.ts";
import { readMarker } from "./marker.ts";
import { cachedIdentity, cacheEnabled, cacheIdentity } from "./memory-cache.ts";

type Env = Readonly<Record<string, string | undefined>>;

/** The identity, or undefined when there is none yet (no marker, no identity.txt). */
export async function locateIdentity(env: Env, files: HomeFiles): Promise<Identity | undefined> {
  if (explicitIdentityConfigured(env)) return resolveIdentity(env, files.identity);
  const marker = readMarker(files.identityMarker);
  if (marker === undefined) return resolveIdentity(env, files.identity);
  const source = describeItem(marker.item);
  const useCache = cacheEnabled(env);
  const cached = useCache ? await cachedIdentity(marker.item.account) : undefined;
  const text = cached ?? (await keychainRead(marker.item));
  const keys = parseIdentityText(text);
  if (keys === undefined) {
    throw new OauthxError("STORE_CORRUPT", `${source} holds no age identity`, {
      remedy: "restore the item from a backup of the key, or set OAUTHX_AGE_IDENTITY",
    });
  }
  if (useCache && cached === undefined) await cacheIdentity(marker.item.account, text);
  return { keys, source, explicit: false };
}
