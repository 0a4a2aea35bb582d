// Where the age identity (the AGE-SECRET-KEY-1… that decrypts the store) comes from, in the order
// of docs/architecture.md "The store": OAUTHX_AGE_IDENTITY (the key itself, for CI), the file named by
// OAUTHX_AGE_IDENTITY_FILE, then the default identity.txt. Only the default file is ever created,
// and only when a store is first written. Error messages name the source, never the key.

import { OauthxError } from "../../errors.ts";
import { writeFileAtomic } from "../atomic-file.ts";
import { readPrivateFile } from "../private-file.ts";

export const IDENTITY_ENV = "OAUTHX_AGE_IDENTITY";
export const IDENTITY_FILE_ENV = "OAUTHX_AGE_IDENTITY_FILE";

type Env = Readonly<Record<string, string | undefined>>;

export interface Identity {
  /** The AGE-SECRET-KEY lines; the first one is also the key new stores are encrypted to. */
  keys: string[];
  /** Where they came from, for messages: an env variable name or a file path. Never the key. */
  source: string;
  /** Set by the user (env), rather than the default file. */
  explicit: boolean;
}

// X25519 keys are Bech32 of 32 bytes (58 characters after "1"); post-quantum hybrid keys are
// longer. age validates the checksum when the key is used; this only rejects what is plainly not
// a key, before anything is decrypted or written.
const SECRET_KEY_LINE = /^AGE-SECRET-KEY-(?:PQ-)?1[02-9AC-HJ-NP-Z]+$/;

export function explicitIdentityConfigured(env: Env): boolean {
  return Boolean(env[IDENTITY_ENV] || env[IDENTITY_FILE_ENV]);
}

/**
 * The identity to use, or undefined when none is configured and the default file does not exist
 * (a first run: a read then sees an empty store; the first write creates the file).
 */
export function resolveIdentity(env: Env, defaultPath: string): Identity | undefined {
  const inline = env[IDENTITY_ENV];
  if (inline) {
    const keys = parseIdentityText(inline);
    if (keys === undefined) {
      throw new OauthxError("CONFIG_INVALID", `${IDENTITY_ENV} does not hold an age identity`, {
        remedy: `set ${IDENTITY_ENV} to the AGE-SECRET-KEY-1… line printed by age-keygen`,
      });
    }
    return { keys, source: IDENTITY_ENV, explicit: true };
  }

  const named = env[IDENTITY_FILE_ENV];
  if (named) {
    const text = readIdentityFile(named);
    if (text === undefined) {
      throw new OauthxError("CONFIG_INVALID", `${IDENTITY_FILE_ENV} names ${named}, which does not exist`, {
        remedy: `point ${IDENTITY_FILE_ENV} at an identity file made by age-keygen, or unset it`,
      });
    }
    const keys = parseIdentityText(text);
    if (keys === undefined) {
      throw new OauthxError("CONFIG_INVALID", `${named} (from ${IDENTITY_FILE_ENV}) holds no age identity`, {
        remedy: `point ${IDENTITY_FILE_ENV} at an identity file made by age-keygen`,
      });
    }
    return { keys, source: named, explicit: true };
  }

  const text = readIdentityFile(defaultPath);
  if (text === undefined) return undefined;
  const keys = parseIdentityText(text);
  if (keys === undefined) {
    throw new OauthxError("STORE_CORRUPT", `identity file ${defaultPath} holds no age identity`, {
      remedy: `restore ${defaultPath} from a backup, or set ${IDENTITY_ENV}; if it is lost for good, \`oauthx help store\` says how to start over`,
    });
  }
  return { keys, source: defaultPath, explicit: false };
}

/**
 * The AGE-SECRET-KEY lines of an identity file (or of OAUTHX_AGE_IDENTITY, which may hold a whole
 * pasted file). Blank lines and `#` comments are allowed, as age allows them; anything else, or
 * no key at all, makes the text invalid (undefined).
 */
export function parseIdentityText(text: string): string[] | undefined {
  const keys: string[] = [];
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (!SECRET_KEY_LINE.test(line)) return undefined;
    keys.push(line);
  }
  return keys.length > 0 ? keys : undefined;
}

function readIdentityFile(file: string): string | undefined {
  const bytes = readPrivateFile(file);
  return bytes === undefined ? undefined : new TextDecoder().decode(bytes);
}

/** The file exactly as `age-keygen` writes it, so the age CLI and people recognise it. */
export function formatIdentityFile(secretKey: string, recipient: string, createdAt: Date): string {
  return `# created: ${rfc3339Local(createdAt)}\n# public key: ${recipient}\n${secretKey}\n`;
}

/** Go's time.RFC3339 in local time, as age-keygen prints it: 2026-11-23T09:16:05+01:00. */
export function rfc3339Local(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, "0");
  const offsetMinutes = -date.getTimezoneOffset();
  const zone =
    offsetMinutes === 0
      ? "Z"
      : `${offsetMinutes > 0 ? "+" : "-"}${pad(Math.floor(Math.abs(offsetMinutes) / 60))}:${pad(Math.abs(offsetMinutes) % 60)}`;
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}${zone}`
  );
}

/**
 * Generates an X25519 identity (the kind Debian's age 1.1 reads) and writes it to `file`, 0600,
 * atomically, and never over an existing file: replacing an identity would orphan the store.
 */
export async function createIdentityFile(file: string, createdAt: Date): Promise<Identity> {
  const age = await import("age-encryption");
  const secretKey = await age.generateX25519Identity();
  const recipient = await age.identityToRecipient(secretKey);
  const text = formatIdentityFile(secretKey, recipient, createdAt);
  await writeFileAtomic(file, new TextEncoder().encode(text), { mode: 0o600, noClobber: true });
  return { keys: [secretKey], source: file, explicit: false };
}
