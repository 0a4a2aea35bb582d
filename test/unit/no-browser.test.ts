// Where `login` knows at once that no browser can open in front of the user (platform/browser.ts):
// it then offers the paste-back path instead of starting an opener that cannot work, and `doctor`
// says so instead of "opens with xdg-open".

import { describe, expect, it } from "vitest";
import { noBrowserReason } from "../../src/platform/browser.ts";

const SSH = { SSH_CONNECTION: "192.0.2.7 50022 192.0.2.1 22" };

describe("noBrowserReason", () => {
  it.each([
    ["a Linux desktop (X11)", { DISPLAY: ":0" }, "linux", undefined],
    ["a Linux desktop (Wayland)", { WAYLAND_DISPLAY: "wayland-0" }, "linux", undefined],
    ["Linux with no display", {}, "linux", "no display: DISPLAY and WAYLAND_DISPLAY are unset"],
    ["SSH into Linux", SSH, "linux", "over SSH"],
    [
      "SSH into Linux, an interactive login without SSH_CONNECTION",
      { SSH_TTY: "/dev/pts/3" },
      "linux",
      "over SSH",
    ],
    [
      "SSH with X11 forwarding: the browser runs here, on the forwarded display",
      { ...SSH, DISPLAY: "localhost:10.0" },
      "linux",
      undefined,
    ],
    ["a Mac at its desk", {}, "darwin", undefined],
    [
      "SSH into a Mac: `open` would use the Mac's own screen",
      { ...SSH, DISPLAY: ":0" },
      "darwin",
      "over SSH",
    ],
    ["Windows", {}, "win32", undefined],
    [
      "WSL without WSLg: no display, but xdg-open (wslu) can start the Windows browser, which reaches WSL's loopback",
      { WSL_DISTRO_NAME: "Ubuntu", WSL_INTEROP: "/run/WSL/8_interop" },
      "linux",
      undefined,
    ],
    ["SSH into WSL", { ...SSH, WSL_DISTRO_NAME: "Ubuntu" }, "linux", "over SSH"],
    [
      "$BROWSER set: the user's word, always tried",
      { ...SSH, BROWSER: "/usr/local/bin/forward-url" },
      "linux",
      undefined,
    ],
  ] as const)("%s", (_case, env, platform, expected) => {
    expect(noBrowserReason(env, platform)).toBe(expected);
  });
});
