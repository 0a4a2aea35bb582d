// Where oauthx keeps its files (docs/architecture.md "The store"). The rule is a pure function of the
// environment, the platform and the home directory so it can be tested for every platform on any
// machine; `defaultOauthxHome()` applies it to the running process.

import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";

export interface HomeLocationInputs {
  env: Readonly<Record<string, string | undefined>>;
  /** A `process.platform` value: "linux", "darwin", "win32", ... */
  platform: string;
  /** The user's home directory (`os.homedir()`). */
  homedir: string;
}

const APP_DIR = "oauthx";

/** An empty variable counts as unset, as shells make `VAR=` easy to leave behind. */
function setting(env: HomeLocationInputs["env"], name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === "" ? undefined : value;
}

/**
 * `OAUTHX_HOME` when set; else `$XDG_CONFIG_HOME/oauthx`; else `%APPDATA%\oauthx` on Windows;
 * else `~/.config/oauthx`. XDG_CONFIG_HOME must be absolute (the XDG spec says relative values are
 * invalid and to be ignored); OAUTHX_HOME is taken as given, resolved against the working
 * directory by the file system like any other path the user types.
 */
export function oauthxHome({ env, platform, homedir }: HomeLocationInputs): string {
  const paths = platform === "win32" ? path.win32 : path.posix;
  const explicit = setting(env, "OAUTHX_HOME");
  if (explicit !== undefined) return explicit;

  const xdg = setting(env, "XDG_CONFIG_HOME");
  if (xdg !== undefined && paths.isAbsolute(xdg)) return paths.join(xdg, APP_DIR);

  if (platform === "win32") {
    const appData = setting(env, "APPDATA") ?? paths.join(homedir, "AppData", "Roaming");
    return paths.join(appData, APP_DIR);
  }
  return paths.join(homedir, ".config", APP_DIR);
}

/** The oauthx home directory of the running process. */
export function defaultOauthxHome(env: HomeLocationInputs["env"] = process.env): string {
  return oauthxHome({ env, platform: process.platform, homedir: os.homedir() });
}

export interface CiCacheLocationInputs {
  env: Readonly<Record<string, string | undefined>>;
  /** `os.tmpdir()`. */
  tmpdir: string;
}

/**
 * Where CI mode makes its per-job cache directory (store/ci-cache/ci-cache.ts, which names it from the
 * seed): OAUTHX_CI_CACHE_DIR when set, else GitHub Actions' per-job $RUNNER_TEMP (emptied after
 * every job), else the system temp dir. Never under OAUTHX_HOME, which CI mode never writes.
 */
export function ciCacheParent({ env, tmpdir }: CiCacheLocationInputs): string {
  return (
    setting(env, "OAUTHX_CI_CACHE_DIR") ??
    (env.GITHUB_ACTIONS === "true" ? setting(env, "RUNNER_TEMP") : undefined) ??
    tmpdir
  );
}
