// The marker (identity-location.json in OAUTHX_HOME): present when the store's identity lives in
// the OS keychain, naming the item and the identity's public key — no secret. Its presence decides
// where the identity is read from: with a marker, a keychain that does not answer is an error,
// never a fall-back to identity.txt and never a fresh identity that would orphan the store.

import { OauthxError } from "../../errors.ts";
import { writeFileAtomic } from "../atomic-file.ts";
import { readPrivateFile } from "../private-file.ts";
import type { KeychainItem } from "./keychain.ts";

export interface Marker {
  version: 1;
  home: "keychain";
  item: KeychainItem;
  /** The age recipient (public key) of the identity, to recognise it; never the key itself. */
  recipient: string;
}

/** The marker, or undefined when there is none (the identity is a file, or not made yet). */
export function readMarker(file: string): Marker | undefined {
  const bytes = readPrivateFile(file);
  if (bytes === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    value = undefined;
  }
  const marker = value as Partial<Marker> | undefined;
  if (
    marker?.version !== 1 ||
    marker.home !== "keychain" ||
    typeof marker.item?.service !== "string" ||
    typeof marker.item?.account !== "string" ||
    typeof marker.recipient !== "string"
  ) {
    throw new OauthxError("STORE_CORRUPT", `${file} does not say where the age identity is`, {
      remedy: `restore ${file} from a backup; it names the keychain item holding the store's identity`,
    });
  }
  return marker as Marker;
}

export async function writeMarker(file: string, marker: Marker): Promise<void> {
  await writeFileAtomic(file, new TextEncoder().encode(`${JSON.stringify(marker, null, 2)}\n`), {
    mode: 0o600,
  });
}
