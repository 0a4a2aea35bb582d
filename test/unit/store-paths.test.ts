import { describe, expect, it } from "vitest";
import { oauthxHome } from "../../src/platform/paths.ts";
import { homeFiles } from "../../src/store/home-files.ts";

describe("oauthxHome", () => {
  const linux = { platform: "linux", homedir: "/home/ada" };
  const windows = { platform: "win32", homedir: "C:\\Users\\ada" };

  it("prefers OAUTHX_HOME over everything", () => {
    const env = { OAUTHX_HOME: "/srv/oauthx", XDG_CONFIG_HOME: "/xdg", APPDATA: "C:\\AppData" };
    expect(oauthxHome({ env, ...linux })).toBe("/srv/oauthx");
    expect(oauthxHome({ env: { ...env, OAUTHX_HOME: "D:\\oauthx" }, ...windows })).toBe("D:\\oauthx");
  });

  it("uses $XDG_CONFIG_HOME/oauthx, then ~/.config/oauthx", () => {
    expect(oauthxHome({ env: { XDG_CONFIG_HOME: "/xdg" }, ...linux })).toBe("/xdg/oauthx");
    expect(oauthxHome({ env: {}, ...linux })).toBe("/home/ada/.config/oauthx");
    expect(oauthxHome({ env: {}, platform: "darwin", homedir: "/Users/ada" })).toBe(
      "/Users/ada/.config/oauthx",
    );
  });

  it("treats empty variables as unset and ignores a relative XDG_CONFIG_HOME (XDG spec)", () => {
    expect(oauthxHome({ env: { OAUTHX_HOME: "", XDG_CONFIG_HOME: "" }, ...linux })).toBe(
      "/home/ada/.config/oauthx",
    );
    expect(oauthxHome({ env: { XDG_CONFIG_HOME: "relative/dir" }, ...linux })).toBe(
      "/home/ada/.config/oauthx",
    );
  });

  it("uses %APPDATA%\\oauthx on Windows, with the usual default when APPDATA is unset", () => {
    expect(oauthxHome({ env: { APPDATA: "C:\\Users\\ada\\AppData\\Roaming" }, ...windows })).toBe(
      "C:\\Users\\ada\\AppData\\Roaming\\oauthx",
    );
    expect(oauthxHome({ env: {}, ...windows })).toBe("C:\\Users\\ada\\AppData\\Roaming\\oauthx");
    expect(oauthxHome({ env: { XDG_CONFIG_HOME: "C:\\xdg" }, ...windows })).toBe("C:\\xdg\\oauthx");
  });
});

describe("homeFiles", () => {
  it("names the files in the home directory", () => {
    expect(homeFiles("/h")).toEqual({
      home: "/h",
      identity: "/h/identity.txt",
      identityMarker: "/h/identity-location.json",
      store: "/h/tokens.age",
      lock: "/h/tokens.age.lock",
      providers: "/h/providers.yaml",
    });
  });
});
