// The store every warm-`token` measurement reads: one github login with 30 days left, written
// through the store API as `login` would, with the key in identity.txt (the default). One
// definition, so run.ts, compare.ts and the shared-store bench measure the same thing.

import { withEntry } from "../src/store/document.ts";
import { openStore } from "../src/store/file/store.ts";

export async function seedWarmStore(home: string): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  await openStore({ home, env: {} }).update((document) =>
    withEntry(document, "github", "default", {
      access_token: `gho_${"b".repeat(36)}`,
      token_type: "bearer",
      refresh_token: `ghr_${"r".repeat(76)}`,
      expires_at: now + 30 * 86_400,
      scopes: ["repo", "read:org"],
      obtained_at: now,
      account: "bench",
    }),
  );
}
