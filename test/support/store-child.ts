// A child process for the store's cross-process and cross-runtime tests. Runs unmodified under
// Node, Bun and Deno. OAUTHX_HOME (and the other OAUTHX_* settings) come from the environment.
//
//   add <provider> <profile>              update(): add one entry; prints "ok"
//   pause-before-commit <provider> <profile>
//                                         update(), but stop after the temp file is written and
//                                         synced, before the rename; prints "paused <temp path>"
//   hold-lock                             take the store lock, print "locked", hold until killed
//   read                                  print the document as JSON
// An OauthxError is printed as {"error":{...}} on stdout, exit status 8.

import process from "node:process";
import { isOauthxError } from "../../src/errors.ts";
import { defaultOauthxHome } from "../../src/platform/paths.ts";
import { withEntry } from "../../src/store/document.ts";
import { homeFiles } from "../../src/store/home-files.ts";
import { openStore } from "../../src/store/index.ts";
import { acquireLock } from "../../src/store/lock.ts";
import { ensurePrivateDirectory } from "../../src/store/permissions.ts";

const [command, provider = "p", profile = "default"] = process.argv.slice(2);
const home = defaultOauthxHome(process.env);
const forever = () => new Promise<never>(() => setInterval(() => {}, 60_000));

const entry = {
  access_token: `access-${provider}-${profile}`,
  token_type: "Bearer",
  scopes: ["s"],
  obtained_at: 1_900_000_000,
};

try {
  switch (command) {
    case "add": {
      await openStore({ home, env: process.env }).update((doc) => withEntry(doc, provider, profile, entry));
      process.stdout.write("ok\n");
      break;
    }
    case "pause-before-commit": {
      const store = openStore({
        home,
        env: process.env,
        beforeCommit: async (tempPath) => {
          process.stdout.write(`paused ${tempPath}\n`);
          await forever();
        },
      });
      await store.update((doc) => withEntry(doc, provider, profile, entry));
      break;
    }
    case "hold-lock": {
      ensurePrivateDirectory(home);
      await acquireLock(homeFiles(home).lock, { timeoutMs: 10_000 });
      process.stdout.write("locked\n");
      await forever();
      break;
    }
    case "read": {
      process.stdout.write(`${JSON.stringify(await openStore({ home, env: process.env }).read())}\n`);
      break;
    }
    default:
      throw new Error(`unknown command ${command}`);
  }
} catch (error) {
  if (!isOauthxError(error)) throw error;
  process.stdout.write(`${JSON.stringify(error)}\n`);
  process.exitCode = 8;
}
