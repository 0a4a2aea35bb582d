// The machine's own Node and npm, as a user has them: the npm packages' install tests run them
// (test/e2e/dist.test.ts, test/e2e/npm-packages.test.ts).

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { ROOT } from "./run-node.ts";

/**
 * A user's Node and npm: the machine's own (Node 20 on these machines, the oldest `engines.node`
 * allows), else the project's. Its npm is the one beside it; npm and npx run on the first `node` on
 * PATH, so machineEnv() puts that directory first.
 */
export const MACHINE_NODE = (() => {
  const path = ["/usr/bin/node", "/usr/local/bin/node", join(ROOT, "node_modules/.bin/node")].find(
    existsSync,
  )!;
  return { path, version: spawnSync(path, ["--version"], { encoding: "utf8" }).stdout.trim() };
})();

/**
 * A user's shell on the machine's Node. Without the npm_* variables vitest inherits from `npm run`
 * or `npx`: they would configure the npm started here as if it ran inside this repository.
 */
export function machineEnv(extra: Record<string, string> = {}): Record<string, string | undefined> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
  return { ...env, ...extra, PATH: [dirname(MACHINE_NODE.path), process.env.PATH].join(delimiter) };
}

// This machine's ~/.npmrc sets `nodedir` (a node-gyp setting, not one of npm's). Since 11.2, npm warns
// about every config key it does not know, `Unknown user config "…"` (npm/cli#8153), and some npm
// 11 releases count nodedir among them (11.19 exempts it). That line is about the machine's npm
// configuration, not about this package, so it is the one warning the install test lets through.
const MACHINE_NPMRC_WARNING =
  /^npm warn Unknown user config "nodedir"\. This will stop working in the next major version of npm\.( See `npm help npmrc` for supported config options\.)?$/;

/** npm's warning lines in its stderr, except the one about the machine's ~/.npmrc. */
export function npmWarnings(stderr: string): string[] {
  return stderr.split(/\r?\n/).filter((line) => /\bwarn/i.test(line) && !MACHINE_NPMRC_WARNING.test(line));
}
