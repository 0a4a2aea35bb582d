// `exec --token-file`: a 0600 file holding the current access token (the BEARER_TOKEN_FILE
// convention), in a private 0700 directory of its own, rewritten before the token expires and
// removed when the child exits. The one place outside the store where a token touches the disk,
// and only when asked for.

import {
  closeSync,
  constants as fs,
  fsyncSync,
  mkdtempSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TokenEntry } from "../../store/document.ts";

export interface TokenFile {
  path: string;
  write(token: TokenEntry): void;
  remove(): void;
}

export function createTokenFile(provider: string): TokenFile {
  const directory = mkdtempSync(join(tmpdir(), "oauthx-exec-"));
  const path = join(directory, `${provider}.token`);
  let generation = 0;
  return {
    path,
    write(token) {
      // Exclusive create at 0600 from the first byte, then an atomic rename over the old file.
      const temp = join(directory, `.${provider}.${generation++}.tmp`);
      const fd = openSync(temp, fs.O_WRONLY | fs.O_CREAT | fs.O_EXCL, 0o600);
      try {
        writeSync(fd, token.access_token);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, path);
    },
    remove() {
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
