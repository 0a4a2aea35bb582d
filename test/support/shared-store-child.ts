// Run with Bun (the shared store needs Bun.sql): acts on one login of the shared store named by
// OAUTHX_STORE, as a test's hands on the database, with the identity in OAUTHX_AGE_IDENTITY.
//   bun test/support/shared-store-child.ts expire <provider> <profile>   access token now expired
//   bun test/support/shared-store-child.ts show <provider> <profile>     the entry, as JSON (a test's
//                                                                        eyes only; never printed by oauthx)
//   bun test/support/shared-store-child.ts put <provider> <profile>      stores the entry given as JSON on stdin

import process from "node:process";

declare const Bun: { stdin: { stream(): ReadableStream<Uint8Array> } };

import type { Context } from "../../src/core/context.ts";
import { openSharedStore, sharedStoreUrl } from "../../src/core/shared-store.ts";
import { getEntry, withEntry } from "../../src/store/document.ts";

const [command, provider = "", profile = "default"] = process.argv.slice(2);
const ctx = {
  env: process.env,
  home: process.env.OAUTHX_HOME ?? "/nonexistent",
  now: Date.now,
} as unknown as Context;
const store = await openSharedStore(ctx, sharedStoreUrl(ctx.env) as URL, {
  scope: { provider, profile },
  lockTimeoutMs: 20_000,
});
try {
  if (command === "expire") {
    await store.update((document) => {
      const entry = getEntry(document, provider, profile);
      if (!entry) throw new Error(`no ${provider}/${profile} login`);
      return withEntry(document, provider, profile, {
        ...entry,
        expires_at: Math.floor(Date.now() / 1000) - 1,
      });
    });
  } else if (command === "put") {
    const entry = JSON.parse(await new Response(Bun.stdin.stream()).text());
    await store.update((document) => withEntry(document, provider, profile, entry));
  } else if (command === "show") {
    process.stdout.write(`${JSON.stringify(getEntry(await store.read(), provider, profile) ?? null)}\n`);
  } else {
    throw new Error(`unknown command ${command}`);
  }
} finally {
  await store.close();
}
