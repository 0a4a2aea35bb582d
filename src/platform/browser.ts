// Opening the user's browser for `login`. The URL is always printed as well, so a browser that
// fails to open costs nothing but a copy and paste.
//
// $BROWSER, when set, is run with the URL as its one argument — no shell, so nothing in the URL
// is interpreted (the authorization URL carries `&`). Otherwise the platform's opener.

import { spawn } from "node:child_process";
import process from "node:process";
import { scrubbedEnv } from "./child-env.ts";

type Env = Readonly<Record<string, string | undefined>>;

export interface BrowserCommand {
  command: string;
  args: string[];
}

export function browserCommand(url: string, env: Env, platform: string = process.platform): BrowserCommand {
  const chosen = env.BROWSER?.trim();
  if (chosen) return { command: chosen, args: [url] };
  if (platform === "darwin") return { command: "open", args: [url] };
  // rundll32 takes the URL verbatim; `cmd /c start` would parse `&` as a command separator.
  if (platform === "win32") return { command: "rundll32", args: ["url.dll,FileProtocolHandler", url] };
  return { command: "xdg-open", args: [url] };
}

/** Starts the browser without waiting for it; resolves false when it could not be started. */
export function openBrowser(url: string, env: Env): Promise<boolean> {
  const { command, args } = browserCommand(url, env);
  return new Promise((resolve) => {
    try {
      const child = spawn(command, args, { stdio: "ignore", detached: true, env: scrubbedEnv(env) });
      child.once("error", () => resolve(false));
      child.once("spawn", () => {
        child.unref();
        resolve(true);
      });
    } catch {
      resolve(false);
    }
  });
}
