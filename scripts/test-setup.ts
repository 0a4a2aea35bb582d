// `npm test` runs this first (the `pretest` script): the tests drive real programs — the age CLI,
// Chromium, git, kubectl, shells, qemu — and a test whose program is missing fails (it is never
// skipped). So this makes sure they are there: on Debian (or Ubuntu), as root, it installs what is
// missing with apt-get; anywhere else it stops and prints the exact command to run.
//
//   node scripts/test-setup.ts            check, and install what is missing when it can
//   node scripts/test-setup.ts --check    check only: list what is missing, exit 1 if anything is

import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import process from "node:process";

/** A program the tests run, the file that proves it is installed, and the Debian package with it. */
interface Requirement {
  what: string;
  files: string[];
  debian: string;
}

export const REQUIREMENTS: Requirement[] = [
  { what: "age CLI (store interop)", files: ["/usr/bin/age", "/usr/bin/age-keygen"], debian: "age" },
  { what: "Chromium (browser login)", files: ["/usr/bin/chromium"], debian: "chromium" },
  { what: "zsh (completion)", files: ["/usr/bin/zsh"], debian: "zsh" },
  { what: "fish (completion)", files: ["/usr/bin/fish"], debian: "fish" },
  {
    what: "shellcheck (completion, the GitHub Action)",
    files: ["/usr/bin/shellcheck"],
    debian: "shellcheck",
  },
  { what: "curl (the GitHub Action's install script)", files: ["/usr/bin/curl"], debian: "curl" },
  { what: "qemu-aarch64 (the arm64 binary)", files: ["/usr/bin/qemu-aarch64"], debian: "qemu-user" },
  {
    what: "the arm64 loader (the arm64 binary)",
    files: ["/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1"],
    debian: "libc6-arm64-cross",
  },
  {
    what: "git and git-http-backend (credential helper)",
    files: ["/usr/bin/git", "/usr/lib/git-core/git-http-backend"],
    debian: "git",
  },
  { what: "kubectl (exec credential plugin)", files: ["/usr/bin/kubectl"], debian: "kubernetes-client" },
  {
    what: "openssl (TLS test servers: kubectl's, a private CA)",
    files: ["/usr/bin/openssl"],
    debian: "openssl",
  },
  {
    what: "ssh-keygen (an ssh recipient in the store)",
    files: ["/usr/bin/ssh-keygen"],
    debian: "openssh-client",
  },
  { what: "script (a terminal for age passphrases, Ctrl-C)", files: ["/usr/bin/script"], debian: "bsdutils" },
  { what: "unshare (a lock held across PID namespaces)", files: ["/usr/bin/unshare"], debian: "util-linux" },
  { what: "sha256sum (release checksums)", files: ["/usr/bin/sha256sum"], debian: "coreutils" },
  {
    what: "PostgreSQL server and client (the shared store)",
    // Looked up at each check: apt-get may have just installed it, in whichever major version the
    // release carries.
    get files() {
      const bin = postgresBin();
      return ["initdb", "pg_ctl", "psql", "pg_dump"].map((program) => `${bin}/${program}`);
    },
    debian: "postgresql",
  },
  {
    what: "a private D-Bus session (the keychain)",
    files: ["/usr/bin/dbus-run-session", "/usr/bin/dbus-send"],
    debian: "dbus",
  },
  {
    what: "a Secret Service (the keychain)",
    files: ["/usr/bin/gnome-keyring-daemon"],
    debian: "gnome-keyring",
  },
  {
    what: "libsecret, which Bun.secrets loads (the keychain)",
    // The copyright file, not the library: its path does not depend on the architecture.
    files: ["/usr/share/doc/libsecret-1-0/copyright"],
    debian: "libsecret-1-0",
  },
];

const POSTGRES_ROOT = "/usr/lib/postgresql";

/**
 * The bin directory of the newest PostgreSQL major version installed (Debian and Ubuntu keep each
 * under /usr/lib/postgresql/<version>/bin), or, with none, the pattern that says where it is looked
 * for, so that a missing-file message names it.
 */
export function postgresBin(
  versions: () => string[] = () => (existsSync(POSTGRES_ROOT) ? readdirSync(POSTGRES_ROOT) : []),
  exists: (file: string) => boolean = existsSync,
): string {
  const newest = versions()
    .filter((version) => /^\d+(\.\d+)?$/.test(version) && exists(`${POSTGRES_ROOT}/${version}/bin/initdb`))
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))[0];
  return `${POSTGRES_ROOT}/${newest ?? "*"}/bin`;
}

export function missingRequirements(exists: (file: string) => boolean = existsSync): Requirement[] {
  return REQUIREMENTS.filter((requirement) => !requirement.files.every(exists));
}

/** The command that installs `packages`; with sudo, both halves run as root, not only the first. */
export function installCommand(packages: string[], options: { sudo?: boolean } = {}): string {
  const as = options.sudo ? "sudo " : "";
  return `${as}apt-get update && ${as}apt-get install -y --no-install-recommends ${packages.join(" ")}`;
}

if (import.meta.main) {
  const missing = missingRequirements();
  if (missing.length === 0) process.exit(0);
  const packages = [...new Set(missing.map((requirement) => requirement.debian))];
  process.stderr.write(`test setup: missing ${missing.map((requirement) => requirement.what).join(", ")}\n`);
  const canInstall =
    !process.argv.includes("--check") &&
    process.platform === "linux" &&
    process.getuid?.() === 0 &&
    existsSync("/usr/bin/apt-get");
  if (!canInstall) {
    process.stderr.write(
      `test setup: install them, then run the tests again:\n  ${installCommand(packages, { sudo: true })}\n` +
        (process.platform === "linux"
          ? ""
          : "  (the test suite runs on Debian or Ubuntu; on other systems, install the same programs)\n"),
    );
    process.exit(1);
  }
  process.stderr.write(`test setup: ${installCommand(packages)}\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [
    ["update", "-qq"],
    ["install", "-y", "-qq", "--no-install-recommends", ...packages],
  ]) {
    const result = spawnSync("apt-get", args, { stdio: ["ignore", "ignore", "inherit"], env });
    if (result.status !== 0) {
      process.stderr.write(
        `test setup: apt-get ${args[0]} failed (exit ${result.status}); run it yourself:\n  ${installCommand(packages)}\n`,
      );
      process.exit(1);
    }
  }
  const still = missingRequirements();
  if (still.length > 0) {
    process.stderr.write(
      `test setup: still missing after apt-get: ${still.map((requirement) => requirement.what).join(", ")}\n`,
    );
    process.exit(1);
  }
}
