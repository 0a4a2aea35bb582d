// The JSON document inside tokens.age: credentials per provider and profile, plus a cache of
// discovery metadata. Versioned so a newer oauthx can change the shape without an older one
// silently damaging it: an older oauthx refuses (STORE_VERSION) and never rewrites the file.
//
// Objects are validated "loosely": known fields must have exactly the documented types, unknown
// fields are kept. A newer oauthx may add an optional field without bumping the version, and an
// older one then carries that field through a rewrite instead of dropping it.
//
// Messages name the JSON path of a problem, never a value (values are tokens and secrets).

import { OauthxError } from "../errors.ts";

export const DOCUMENT_VERSION = 1;

/** Epoch seconds, whole. */
type EpochSeconds = number;

export interface ClientCredentials {
  client_id: string;
  client_secret?: string;
}

export interface TokenEntry {
  access_token: string;
  token_type: string;
  refresh_token?: string;
  /** Absolute expiry, so no clock arithmetic is needed on read. */
  expires_at?: EpochSeconds;
  scopes: string[];
  obtained_at: EpochSeconds;
  /** A label for people: the login, e-mail or subject the token belongs to. */
  account?: string;
  id_token_claims?: Record<string, unknown>;
  /**
   * The last ID token the server issued (OIDC Core §2), kept for the Kubernetes API servers that
   * take it as their bearer token (`kube-credential`, providers.yaml kube_credential_token).
   */
  id_token?: string;
  /** Extra token-response values a provider needs later, e.g. Salesforce's instance_url. */
  extra?: Record<string, string>;
  /** Client credentials the user chose to keep with the token. */
  client?: ClientCredentials;
  /** Template values remembered for this profile, e.g. a tenant. */
  vars?: Record<string, string>;
  /**
   * The origins this login's credentials may be sent to, recorded when it was issued: its
   * provider's endpoints and API (core/origin-binding.ts). Absent in logins of older versions.
   */
  origins?: string[];
  /**
   * CI cache only: a digest of the last refresh token OAUTHX_ON_ROTATE saved (core/ci-mode.ts). A
   * rotated refresh token whose digest this is not has not been saved yet.
   */
  rotation_saved?: string;
  /**
   * When `oauthx export --refresh-token` last printed this login's refresh token: another holder
   * may refresh the same grant, so a refused refresh says so (cli/tokens/export.ts).
   */
  exported_at?: EpochSeconds;
  /** When a refresh last succeeded: the server has accepted this login's refresh request before. */
  refreshed_at?: EpochSeconds;
  /** When the server refused this login's refresh token: the login ends when its token expires. */
  refresh_refused_at?: EpochSeconds;
}

/** Discovery metadata (RFC 8414 / OIDC) as fetched, plus when. */
export interface DiscoveryCacheEntry {
  fetched_at: EpochSeconds;
  [field: string]: unknown;
}

export interface StoreDocument {
  version: typeof DOCUMENT_VERSION;
  /** provider name -> profile name -> entry */
  profiles: Record<string, Record<string, TokenEntry>>;
  /** issuer -> metadata */
  discovery?: Record<string, DiscoveryCacheEntry>;
}

// The document's rules, checked by hand rather than with valibot: the store is read on every
// `oauthx token`, and loading and running a schema library there costs more than the rest of the
// read (docs/performance.md). The rules are the interfaces above, field by field.

type Check = (value: unknown) => boolean;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const isString: Check = (value) => typeof value === "string";
const isName: Check = (value) => typeof value === "string" && value.length > 0;
const isEpochSeconds: Check = (value) => Number.isInteger(value) && (value as number) >= 0;
const isStringArray: Check = (value) => Array.isArray(value) && value.every(isString);
const isStringRecord: Check = (value) => isObject(value) && Object.values(value).every(isString);

/** The fields of a token entry: required, optional, and what each must be. */
const ENTRY_FIELDS: Record<string, { check: Check; optional?: true }> = {
  access_token: { check: isName },
  token_type: { check: isName },
  refresh_token: { check: isString, optional: true },
  expires_at: { check: isEpochSeconds, optional: true },
  scopes: { check: isStringArray },
  obtained_at: { check: isEpochSeconds },
  account: { check: isString, optional: true },
  id_token_claims: { check: isObject, optional: true },
  id_token: { check: isString, optional: true },
  extra: { check: isStringRecord, optional: true },
  client: {
    check: (value) =>
      isObject(value) &&
      isName(value.client_id) &&
      (value.client_secret === undefined || isString(value.client_secret)),
    optional: true,
  },
  vars: { check: isStringRecord, optional: true },
  origins: { check: isStringArray, optional: true },
  rotation_saved: { check: isString, optional: true },
  exported_at: { check: isEpochSeconds, optional: true },
  refreshed_at: { check: isEpochSeconds, optional: true },
  refresh_refused_at: { check: isEpochSeconds, optional: true },
};

function entryProblem(entry: unknown, path: string): string | undefined {
  if (!isObject(entry)) return path;
  for (const [field, rule] of Object.entries(ENTRY_FIELDS)) {
    const value = entry[field];
    if (value === undefined ? !rule.optional : !rule.check(value)) return `${path}.${field}`;
  }
  return undefined;
}

export function emptyDocument(): StoreDocument {
  return { version: DOCUMENT_VERSION, profiles: {} };
}

/** The JSON path of the first problem ("profiles.github.work.expires_at"), or undefined if valid. */
export function findDocumentProblem(value: unknown): string | undefined {
  if (!isObject(value)) return "(document)";
  if (value.version !== DOCUMENT_VERSION) return "version";
  if (!isObject(value.profiles)) return "profiles";
  for (const [provider, profiles] of Object.entries(value.profiles)) {
    if (!isName(provider) || !isObject(profiles)) return `profiles.${provider}`;
    for (const [profile, entry] of Object.entries(profiles)) {
      if (!isName(profile)) return `profiles.${provider}.${profile}`;
      const problem = entryProblem(entry, `profiles.${provider}.${profile}`);
      if (problem !== undefined) return problem;
    }
  }
  if (value.discovery !== undefined) {
    if (!isObject(value.discovery)) return "discovery";
    for (const [issuer, metadata] of Object.entries(value.discovery)) {
      if (!isName(issuer) || !isObject(metadata)) return `discovery.${issuer}`;
      if (!isEpochSeconds(metadata.fetched_at)) return `discovery.${issuer}.fetched_at`;
    }
  }
  return undefined;
}

/** Decrypted store text -> document; STORE_VERSION for a newer format, STORE_CORRUPT otherwise. */
export function parseDocument(json: string, storePath: string): StoreDocument {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw corrupt(storePath, "is not valid JSON");
  }
  const version =
    typeof value === "object" && value !== null ? (value as { version?: unknown }).version : undefined;
  if (typeof version === "number" && Number.isInteger(version) && version > DOCUMENT_VERSION) {
    throw new OauthxError(
      "STORE_VERSION",
      `${storePath} was written by a newer oauthx (store format ${version}, this oauthx reads ${DOCUMENT_VERSION})`,
      { remedy: "upgrade oauthx" },
    );
  }
  // Valid JSON, but not a store document at all (some other age-encrypted file put in its place).
  if (typeof value !== "object" || value === null || Array.isArray(value) || version === undefined) {
    throw corrupt(storePath, "is not an oauthx store (it decrypts, but holds no store document)");
  }
  const problem = findDocumentProblem(value);
  if (problem !== undefined) throw corrupt(storePath, `has an invalid value at ${problem}`);
  return value as StoreDocument;
}

/** Pretty-printed: `age -d` shows the store to people, and JSON whitespace costs nothing here. */
export function serializeDocument(document: StoreDocument): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

function corrupt(storePath: string, what: string): OauthxError {
  return new OauthxError("STORE_CORRUPT", `the decrypted store ${storePath} ${what}`, {
    remedy: `restore ${storePath} from a backup, or move it aside and log in again`,
  });
}

export function getEntry(document: StoreDocument, provider: string, profile: string): TokenEntry | undefined {
  const profiles = Object.hasOwn(document.profiles, provider) ? document.profiles[provider] : undefined;
  return profiles !== undefined && Object.hasOwn(profiles, profile) ? profiles[profile] : undefined;
}

/** A new document with the entry set (documents handed out by the store are frozen). */
export function withEntry(
  document: StoreDocument,
  provider: string,
  profile: string,
  entry: TokenEntry,
): StoreDocument {
  const profiles = { ...document.profiles[provider], [profile]: entry };
  return { ...document, profiles: { ...document.profiles, [provider]: profiles } };
}

/** A new document without the entry; a provider left with no profiles disappears. */
export function withoutEntry(document: StoreDocument, provider: string, profile: string): StoreDocument {
  if (getEntry(document, provider, profile) === undefined) return document;
  const { [profile]: _removed, ...rest } = document.profiles[provider] ?? {};
  const { [provider]: _provider, ...others } = document.profiles;
  const profiles = Object.keys(rest).length > 0 ? { ...others, [provider]: rest } : others;
  return { ...document, profiles };
}

export function withDiscovery(
  document: StoreDocument,
  issuer: string,
  metadata: DiscoveryCacheEntry,
): StoreDocument {
  return { ...document, discovery: { ...document.discovery, [issuer]: metadata } };
}

/**
 * Freezes a document and everything in it. update() skips the write when its callback returns
 * the document it was given; freezing makes an in-place edit (which would then be lost) throw
 * instead of silently doing nothing.
 */
export function freezeDeep<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) freezeDeep(child);
  }
  return value;
}
