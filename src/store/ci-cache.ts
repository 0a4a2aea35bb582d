// The CI cache: the tokens obtained from one seeded refresh token (OAUTHX_<ID>_REFRESH_TOKEN), kept
// between the oauthx calls of a job. Without it every call starts from the seed again: it refreshes
// even while the last call's access token is fresh, and with a rotating provider (RFC 9700
// §4.14.2) the second call presents a refresh token the first one already spent, which a server
// with reuse detection answers by revoking the whole grant.
//
//   - Where: a private directory (0700, ours) under the job's temp dir, never under OAUTHX_HOME.
//   - What: a store document with the one entry, sealed (sealed-file.ts) under keys derived from the
//     seed, the file named by a derived id: only a holder of the same seed finds and opens it, and
//     another seed gets another file. No token is ever on disk in plaintext.
//   - How: the store's discipline. 0600 from the first byte, atomic replace, and read-modify-write
//     under the same cross-process lock (lock.ts), so concurrent calls make one refresh.
//   - A cache file that does not open (damaged, made for another seed, planted) is STORE_CORRUPT,
//     never a silent restart from the seed: the seed may be spent by now, and presenting a spent
//     refresh token to a server with reuse detection revokes the grant.

import * as path from "node:path";
import { OauthxError } from "../errors.ts";
import { removeAbandonedTempFiles, writeFileAtomic } from "./atomic-file.ts";
import {
  findDocumentProblem,
  freezeDeep,
  getEntry,
  parseDocument,
  type StoreDocument,
  serializeDocument,
} from "./document.ts";
import { seededDocument } from "./env-seeded.ts";
import { acquireLock } from "./lock.ts";
import { ensureOwnDirectory } from "./permissions.ts";
import { readPrivateFile } from "./private-file.ts";
import { deriveSealingKeys, type SealingKeys, seal, unseal } from "./sealed-file.ts";

export interface CiCacheOptions {
  /** The cache directory (created 0700). */
  directory: string;
  provider: string;
  profile: string;
  /** The seeded refresh token, already checked and trimmed. */
  seed: string;
  /** Where the seed came from, for messages: its variable's name. Never the value. */
  seedName: string;
  lockTimeoutMs: number;
  /** Milliseconds since the epoch, for the age of abandoned temp files. */
  now?: () => number;
}

export interface CiCache {
  read(): Promise<StoreDocument>;
  update(change: (document: StoreDocument) => StoreDocument | Promise<StoreDocument>): Promise<StoreDocument>;
  /** The cache file of this seed; it exists once a call has refreshed. */
  file(): Promise<string>;
  /** Whether the document read comes from the cache file (true) or from the seed alone (false). */
  cached(): Promise<boolean>;
}

export function openCiCache(options: CiCacheOptions): CiCache {
  const seeded = seededDocument({
    provider: options.provider,
    profile: options.profile,
    refreshToken: options.seed,
  });
  const now = options.now ?? Date.now;
  let keys: Promise<SealingKeys> | undefined;
  const sealingKeys = () => {
    keys ??= deriveSealingKeys(options.seed, `ci-cache\u0000${options.provider}\u0000${options.profile}`);
    return keys;
  };
  const fileOf = (sealing: SealingKeys) => path.join(options.directory, `${sealing.fileId}.cache`);

  async function readDocument(): Promise<{ document: StoreDocument; cached: boolean }> {
    const sealing = await sealingKeys();
    const file = fileOf(sealing);
    const bytes = readPrivateFile(file);
    if (bytes === undefined) return { document: seeded, cached: false };
    const plaintext = unseal(sealing, bytes);
    if (plaintext === undefined) throw unreadable(file, options.seedName, "does not open with this seed");
    let document: StoreDocument;
    try {
      document = parseDocument(new TextDecoder().decode(plaintext), file);
    } catch {
      throw unreadable(file, options.seedName, "holds no valid token document");
    }
    if (getEntry(document, options.provider, options.profile) === undefined) {
      throw unreadable(file, options.seedName, `holds no ${options.provider} tokens`);
    }
    return { document: freezeDeep(document), cached: true };
  }

  return {
    async read() {
      return (await readDocument()).document;
    },
    async cached() {
      return (await readDocument()).cached;
    },
    async file() {
      return fileOf(await sealingKeys());
    },
    async update(change) {
      ensureOwnDirectory(options.directory);
      const sealing = await sealingKeys();
      const file = fileOf(sealing);
      const lock = await acquireLock(path.join(options.directory, `${sealing.fileId}.lock`), {
        timeoutMs: options.lockTimeoutMs,
        guards: `the CI cache of ${options.seedName}`,
      });
      try {
        const { document: current } = await readDocument();
        const next = await change(current);
        if (next === current) return current;
        const problem = findDocumentProblem(next);
        if (problem !== undefined) {
          throw new OauthxError(
            "INTERNAL",
            `refusing to write an invalid CI cache document (at ${problem})`,
            {
              remedy: "report this bug; the cache was left unchanged",
            },
          );
        }
        const json = serializeDocument(next);
        removeAbandonedTempFiles(file, { nowMs: now() });
        await writeFileAtomic(file, seal(sealing, new TextEncoder().encode(json)), { mode: 0o600 });
        return freezeDeep(parseDocument(json, file));
      } finally {
        lock.release();
      }
    },
  };
}

function unreadable(file: string, seedName: string, why: string): OauthxError {
  return new OauthxError("STORE_CORRUPT", `the CI cache ${file} ${why}`, {
    remedy: `delete ${file} to start again from ${seedName}; if the provider rotates refresh tokens, that seed may be spent: re-seed it (oauthx seed <provider>)`,
  });
}
