// A login's row, sealed to the age identity (docs/shared-store.md "What the database sees"): the
// same identity sources as the file store (identity.ts) and the same age code (encryption.ts).
// A row is a small age file whose plaintext is the login's JSON. A new row is encrypted to this
// machine's identity and to OAUTHX_STORE_RECIPIENTS (other machines' public keys); a rewrite of a
// row this identity opened keeps its header, so every recipient keeps access.

import { isOauthxError, OauthxError } from "../../errors.ts";
import {
  type DecryptionKey,
  decryptStore,
  type EncryptionKey,
  encryptStore,
  inspectAgeFile,
  type KeptHeader,
} from "../encryption.ts";
import { createIdentityFile, type Identity, resolveIdentity } from "../identity/identity.ts";

export const RECIPIENTS_ENV = "OAUTHX_STORE_RECIPIENTS";

type Env = Readonly<Record<string, string | undefined>>;

export interface RowSealer {
  open(bytes: Uint8Array, label: string): Promise<{ text: string; header: KeptHeader | undefined }>;
  seal(text: string, header: KeptHeader | undefined): Promise<Uint8Array>;
}

export interface SealerOptions {
  env: Env;
  /** The default identity file (OAUTHX_HOME/identity.txt). */
  identityFile: string;
  /** May the default identity file be created on first write (false in CI: nothing under OAUTHX_HOME). */
  createIdentity: boolean;
  now: () => number;
}

export function rowSealer(options: SealerOptions): RowSealer {
  let identity: Identity | undefined;
  const recipients = (options.env[RECIPIENTS_ENV] ?? "").split(/[\s,]+/).filter((value) => value !== "");
  const bad = recipients.find((value) => !/^age1[02-9ac-hj-np-z]+$/.test(value));
  const known = (): Identity | undefined => {
    identity ??= resolveIdentity(options.env, options.identityFile);
    return identity;
  };
  const writable = async (): Promise<Identity> => {
    const found = known();
    if (found) return found;
    if (!options.createIdentity) {
      throw new OauthxError("CONFIG_MISSING", "the shared store needs an age identity, and none is set", {
        remedy:
          "set OAUTHX_AGE_IDENTITY (or OAUTHX_AGE_IDENTITY_FILE) to a key the store's rows are sealed to",
      });
    }
    identity = await createIdentityFile(options.identityFile, new Date(options.now()));
    return identity;
  };
  return {
    async open(bytes, label) {
      const found = known();
      if (!found) {
        throw new OauthxError("DECRYPT_FAILED", `no age identity to open ${label}`, {
          remedy: `set OAUTHX_AGE_IDENTITY to a key the store's rows are sealed to (or restore ${options.identityFile})`,
        });
      }
      const key: DecryptionKey = { kind: "identity", keys: found.keys, source: found.source };
      try {
        return await decryptStore(await inspectAgeFile(bytes, label), key, label);
      } catch (error) {
        if (!isOauthxError(error, "DECRYPT_FAILED")) throw error;
        // A row's recipients are fixed where it was written: the usual cause is not a wrong key
        // but this machine's key missing from that machine's OAUTHX_STORE_RECIPIENTS. A rewrite
        // keeps the row's header (encryption.ts), so only a new row, after a logout, adds it.
        throw new OauthxError(
          "DECRYPT_FAILED",
          `${label} is not sealed to this machine's key (${found.source})`,
          {
            remedy: `on a machine that opens it, add this key (age-keygen -y) to ${RECIPIENTS_ENV}, then log out and log in again there: a new row is sealed anew (\`oauthx help store\`, docs/shared-store.md)`,
            cause: error,
          },
        );
      }
    },
    async seal(text, header) {
      if (bad !== undefined) {
        throw new OauthxError(
          "CONFIG_INVALID",
          `${RECIPIENTS_ENV} holds something that is not an age1… public key`,
          {
            remedy: `list public keys printed by \`age-keygen -y\`, separated by spaces or commas`,
          },
        );
      }
      const found = await writable();
      const key: EncryptionKey = {
        kind: "identity",
        key: found.keys[0] as string,
        source: found.source,
        recipients,
      };
      return (await encryptStore(text, key, header)).bytes;
    },
  };
}
