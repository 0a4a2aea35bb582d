// The CI cache: the tokens obtained from one seeded refresh token (OAUTHX_<ID>_REFRESH_TOKEN), kept
// between the oauthx calls of a job. Without it every call starts from the seed again: it refreshes
// even while the last call's access token is fresh, and with a rotating provider (RFC 9700
// §4.14.2) the second call presents a refresh token the first one already spent, which a server
// with reuse detection answers by revoking the whole grant.
//
//   - Where: a private directory (0700, ours) under the job's temp dir, never under OAUTHX_HOME, named
//     by an id derived from the seed: another local user cannot guess the name, so cannot plant a
//     directory there first and block the job. A parent others can write must be sticky (/tmp is),
//     or they could move our directory away and make the next call start again from the spent seed;
//     the directory itself is never a symlink.
//   - What: a store document with the one entry, sealed (sealed-file.ts) under keys derived from the
//     seed and the provider: only a holder of the same seed finds and opens it, and another seed
//     gets another file. No token is ever on disk in plaintext.
//   - Per seed, not per profile: a seed is exactly one login, so `token x` and `token x --profile
//     work` in one job share its one chain of refresh tokens. Keyed by profile, the second would
//     present the seed the first had spent, and reuse detection would revoke the grant.
//   - How: the store's discipline. 0600 from the first byte, atomic replace, and read-modify-write
//     under the same cross-process lock (lock.ts), so concurrent calls make one refresh.
//   - A cache file that does not open (damaged, made for another seed, planted) is STORE_CORRUPT,
//     never a silent restart from the seed: the seed may be spent by now, and presenting a spent
//     refresh token to a server with reuse detection revokes the grant. The remedy is a new seed,
//     which finds a new file. (A file rolled back to an older copy of itself opens: nothing outside
//     the file could say which copy is the newest. docs/ci.md says not to carry the cache across
//     jobs, the one way that happens without someone who holds the seed already.)

import * as path from "node:path";
import { OauthxError } from "../../errors.ts";
import { removeAbandonedTempFiles, writeFileAtomic } from "../atomic-file.ts";
import {
  findDocumentProblem,
  freezeDeep,
  getEntry,
  parseDocument,
  type StoreDocument,
  serializeDocument,
  withEntry,
} from "../document.ts";
import { acquireLock } from "../lock.ts";
import { assertSafeParent, ensureOwnDirectory } from "../permissions.ts";
import { readPrivateFile } from "../private-file.ts";
import { seededDocument } from "./env-seeded.ts";
import { deriveSealingKeys, type SealingKeys, seal, unseal } from "./sealed-file.ts";

export interface CiCacheOptions {
  /**
   * Where the cache makes its directory (0700, named from the seed): the job's temp dir. It must be
   * ours or root's, and sticky if others can write it; it is created (0700) when missing.
   */
  parent: string;
  provider: string;
  /** The profile asked for: it names the entry read and written, not the file (one seed, one login). */
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
  /** The cache file of this seed and provider; it exists once a call has refreshed. */
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
  const { provider, profile } = options;
  let keys: Promise<SealingKeys> | undefined;
  const sealingKeys = () => {
    keys ??= deriveSealingKeys(options.seed, `ci-cache\u0000${provider}`);
    return keys;
  };
  const directoryOf = (sealing: SealingKeys) => path.join(options.parent, `oauthx-ci-${sealing.fileId}`);
  const fileOf = (sealing: SealingKeys) => path.join(directoryOf(sealing), `${sealing.fileId}.cache`);
  const unreadable = (file: string, why: string) =>
    new OauthxError("STORE_CORRUPT", `the CI cache ${file} ${why}`, {
      // A new seed finds a new file; deleting this one would send the old seed, likely spent.
      remedy: `re-seed the CI secret (\`oauthx seed ${provider}\` on a workstation) and run the job again; delete ${file} only if ${options.seedName} was never rotated`,
    });

  async function readDocument(): Promise<{ document: StoreDocument; cached: boolean }> {
    const sealing = await sealingKeys();
    const file = fileOf(sealing);
    const bytes = readPrivateFile(file);
    if (bytes === undefined) return { document: seeded, cached: false };
    const plaintext = unseal(sealing, bytes);
    if (plaintext === undefined) throw unreadable(file, "does not open with this seed");
    let document: StoreDocument;
    try {
      document = parseDocument(new TextDecoder().decode(plaintext), file);
    } catch {
      throw unreadable(file, "holds no valid token document");
    }
    // The one entry, whichever profile wrote it last, is the entry of the profile asked for.
    const logins = Object.hasOwn(document.profiles, provider) ? document.profiles[provider] : undefined;
    const [entry, ...others] = Object.values(logins ?? {});
    if (entry === undefined || others.length > 0) throw unreadable(file, `holds no single ${provider} login`);
    if (getEntry(document, provider, profile) === undefined) {
      document = withEntry(
        { ...document, profiles: { ...document.profiles, [provider]: {} } },
        provider,
        profile,
        entry,
      );
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
      const sealing = await sealingKeys();
      assertSafeParent(options.parent);
      ensureOwnDirectory(directoryOf(sealing));
      const file = fileOf(sealing);
      const lock = await acquireLock(path.join(directoryOf(sealing), `${sealing.fileId}.lock`), {
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
