// A real freedesktop Secret Service for tests: gnome-keyring-daemon on a private D-Bus session
// (dbus-run-session), its keyrings in a temporary directory, the login keyring created and unlocked
// with a test password. Processes get DBUS_SESSION_BUS_ADDRESS to reach it; stop() ends the whole
// process group it started.

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireFile } from "./require-tool.ts";
import { run } from "./run-node.ts";

export interface SecretService {
  /** The environment that reaches it. */
  env: Record<string, string>;
  /** Locks the login collection (as a screen lock does); nobody is there to unlock it. */
  lock(): Promise<void>;
  /** The daemon's pid (to stop it with SIGSTOP: a Secret Service that does not answer). */
  daemonPid(): Promise<number>;
  stop(): void;
}

const PASSWORD = "test-keyring-password";

export async function startSecretService(): Promise<SecretService> {
  requireFile("/usr/bin/dbus-run-session");
  requireFile("/usr/bin/dbus-send");
  requireFile("/usr/bin/gnome-keyring-daemon");
  requireFile("/usr/share/doc/libsecret-1-0/copyright");
  const root = mkdtempSync(join(tmpdir(), "oauthx-keyring-"));
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: root, XDG_DATA_HOME: join(root, "data") };
  const script =
    'printf %s "$KEYRING_PASSWORD" | gnome-keyring-daemon --unlock --components=secrets >/dev/null && ' +
    'echo "$DBUS_SESSION_BUS_ADDRESS" && exec sleep 3600';
  const child: ChildProcess = spawn("dbus-run-session", ["--", "sh", "-c", script], {
    env: { ...env, KEYRING_PASSWORD: PASSWORD },
    stdio: ["ignore", "pipe", "ignore"],
    detached: true,
  });
  const address = await new Promise<string>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("the Secret Service did not start within 10 s")), 10_000);
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
      if (out.includes("\n")) {
        clearTimeout(timer);
        resolve(out.trim());
      }
    });
    child.on("exit", () => reject(new Error("dbus-run-session exited before the Secret Service started")));
  });
  const busEnv = { ...env, DBUS_SESSION_BUS_ADDRESS: address };
  const call = async (args: string[]) => {
    const result = await run("dbus-send", ["--session", "--print-reply", ...args], { env: busEnv });
    if (result.code !== 0) throw new Error(`dbus-send failed: ${result.stderr}`);
    return result.stdout;
  };
  const daemon = await pidOf(call);
  const collection = "array:objpath:/org/freedesktop/secrets/collection/login";
  return {
    env: busEnv,
    async lock() {
      await call([
        "--dest=org.freedesktop.secrets",
        "/org/freedesktop/secrets",
        "org.freedesktop.Secret.Service.Lock",
        collection,
      ]);
    },
    daemonPid: async () => daemon,
    stop() {
      // The daemon detaches from the session's process group: it is ended by its own pid.
      for (const target of [-(child.pid ?? 0), daemon]) {
        try {
          if (target !== 0) process.kill(target, "SIGKILL");
        } catch {
          // already gone
        }
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}

async function pidOf(call: (args: string[]) => Promise<string>): Promise<number> {
  // The daemon claims its bus name when first asked for it (D-Bus activation).
  await call([
    "--dest=org.freedesktop.DBus",
    "/org/freedesktop/DBus",
    "org.freedesktop.DBus.StartServiceByName",
    "string:org.freedesktop.secrets",
    "uint32:0",
  ]);
  const out = await call([
    "--dest=org.freedesktop.DBus",
    "/org/freedesktop/DBus",
    "org.freedesktop.DBus.GetConnectionUnixProcessID",
    "string:org.freedesktop.secrets",
  ]);
  const pid = Number(/uint32 (\d+)/.exec(out)?.[1]);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error("no Secret Service daemon pid");
  return pid;
}
