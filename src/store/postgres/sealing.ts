// A login's row, sealed to the age identity (docs/shared-store.md "What the database sees"): the
// same identity sources as the file store (identity.ts) and the same age code (encryption.ts).
// A row is a small age file whose plaintext is the login's JSON. A row is sealed to exactly this
// machine's identity and OAUTHX_STORE_RECIPIENTS (other machines' public keys), and its plaintext
// lists those public keys (store.ts `sealedTo`): an age header does not name its X25519 recipients,
// so the list is what a write compares. A rewrite under the same list keeps the row's header (no
// age library); under another list the row is sealed afresh to it, which adds or drops machines.

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
  /** The public keys a write seals to now: this identity's and OAUTHX_STORE_RECIPIENTS, sorted. */
  recipients(): Promise<string[]>;
  /** Keeps `header` when given (the row's recipients are unchanged), else seals afresh. */
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
  let current: Promise<string[]> | undefined;
  let ownKey: string | undefined;
  const checkList = () => {
    if (bad !== undefined) {
      throw new OauthxError(
        "CONFIG_INVALID",
        `${RECIPIENTS_ENV} holds something that is not an age1… public key`,
        {
          remedy: `list public keys printed by \`age-keygen -y\`, separated by spaces or commas`,
        },
      );
    }
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
  const recipientsNow = (): Promise<string[]> => {
    current ??= (async () => {
      checkList();
      const found = await writable();
      // A write only: the warm read never derives a public key. WebCrypto first (no age
      // library for a write that keeps the header); age-encryption for what that cannot do.
      const { x25519Recipient } = await import("../age-fast-read.ts");
      let own = await x25519Recipient(found.keys[0] as string);
      if (own === undefined) {
        const { identityToRecipient } = await import("age-encryption");
        try {
          own = await identityToRecipient(found.keys[0] as string);
        } catch {
          throw new OauthxError(
            "CONFIG_INVALID",
            `the age identity from ${found.source} is not a valid key`,
            {
              remedy: `replace it with an identity made by age-keygen (${found.source})`,
            },
          );
        }
      }
      ownKey = own;
      return [...new Set([own, ...recipients])].sort();
    })();
    current.catch(() => (current = undefined));
    return current;
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
        // The usual cause is not a wrong key but this machine's key missing from the
        // OAUTHX_STORE_RECIPIENTS of the machine that last wrote the row. Any write there under
        // a list that names it seals the row afresh (seal), with the grant left as it is.
        throw new OauthxError(
          "DECRYPT_FAILED",
          `${label} is not sealed to this machine's key (${found.source})`,
          {
            remedy: `on a machine that opens it, add this key (age-keygen -y) to ${RECIPIENTS_ENV}, then run \`oauthx refresh <provider>\` there: the row is sealed afresh to the list (\`oauthx help store\`, docs/shared-store.md)`,
            cause: error,
          },
        );
      }
    },
    recipients: recipientsNow,
    async seal(text, header) {
      checkList();
      const found = await writable();
      const key: EncryptionKey = {
        kind: "identity",
        key: found.keys[0] as string,
        source: found.source,
        // The list without this machine's own key (encryptStore adds it): one list may serve
        // every machine.
        // encryptStore keeps `header` only if this key opened it; otherwise it too seals afresh.
        recipients: (await recipientsNow()).filter((value) => value !== ownKey),
      };
      return (await encryptStore(text, key, header)).bytes;
    },
  };
}
