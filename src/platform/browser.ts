// Opening the user's browser for `login`. The URL is always printed as well, so a browser that
// fails to open costs nothing but a copy and paste.
//
// $BROWSER, when set, is run with the URL as its one argument — no shell, so nothing in the URL
// is interpreted (the authorization URL carries `&`). Otherwise the platform's opener — unless it
// cannot work (noBrowserReason): then `login` says so and offers the paste-back path at once
// rather than waiting for a redirect that cannot come.

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

/**
 * Why no browser can open in front of the user, or undefined when one may. $BROWSER is the user's
 * word and always tried. Over SSH the platform's opener would start a browser on the far machine's
 * screen, if any (X11 forwarding, which sets DISPLAY, is the exception on Linux); and xdg-open
 * needs an X11 or Wayland display — except under WSL, where it (wslu's, or one set up to call
 * wslview) starts the Windows browser, which reaches WSL 2's loopback through its port forwarding.
 */
export function noBrowserReason(env: Env, platform: string = process.platform): string | undefined {
  if (env.BROWSER?.trim()) return undefined;
  const display = Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
  const desktop = platform === "darwin" || platform === "win32";
  if ((env.SSH_CONNECTION || env.SSH_TTY) && (desktop || !display)) return "over SSH";
  // WSL_DISTRO_NAME: set by WSL in every shell it starts (not passed on by sshd, handled above).
  const wsl = platform === "linux" && Boolean(env.WSL_DISTRO_NAME);
  if (!desktop && !display && !wsl) return "no display: DISPLAY and WAYLAND_DISPLAY are unset";
  return undefined;
}

/** How long an opener has to fail visibly (exit non-zero) before it is taken to have worked. */
const OPENER_GRACE_MS = 1500;

/**
 * Starts the browser without waiting for it; resolves false when it could not be started or exited
 * with a failure within a moment (`BROWSER=/bin/false`, xdg-open finding no browser), true once it
 * exited successfully or is still running after that moment.
 */
export function openBrowser(url: string, env: Env): Promise<boolean> {
  const { command, args } = browserCommand(url, env);
  return new Promise((resolve) => {
    try {
      const child = spawn(command, args, { stdio: "ignore", detached: true, env: scrubbedEnv(env) });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const settle = (opened: boolean) => {
        clearTimeout(timer);
        child.unref();
        resolve(opened);
      };
      child.once("error", () => settle(false));
      child.once("exit", (code) => settle(code === 0));
      child.once("spawn", () => {
        timer = setTimeout(() => settle(true), OPENER_GRACE_MS);
      });
    } catch {
      resolve(false);
    }
  });
}
