// The release targets and the names of their binaries: scripts/dist.ts builds them,
// scripts/npm-packages.ts packs them, the release workflow and the tests check them.

import { join } from "node:path";
import { ROOT } from "./build.ts";

export interface Target {
  /** The name's suffix: `<os>-<arch>[-musl]`. */
  id: string;
  os: "linux" | "darwin" | "windows";
  arch: "x64" | "arm64";
  libc?: "musl";
  /** Bun's `--target`. */
  bun: string;
  /** The npm package with that target's Bun, and the executable inside it. */
  pkg: string;
  exe: string;
  /** Deno's `--target`, where Deno has one. */
  deno?: string;
}

export const TARGETS: readonly Target[] = [
  {
    id: "linux-x64",
    os: "linux",
    arch: "x64",
    bun: "bun-linux-x64",
    pkg: "@oven/bun-linux-x64",
    exe: "bin/bun",
    deno: "x86_64-unknown-linux-gnu",
  },
  {
    id: "linux-arm64",
    os: "linux",
    arch: "arm64",
    bun: "bun-linux-arm64",
    pkg: "@oven/bun-linux-aarch64",
    exe: "bin/bun",
    deno: "aarch64-unknown-linux-gnu",
  },
  {
    id: "darwin-x64",
    os: "darwin",
    arch: "x64",
    bun: "bun-darwin-x64",
    pkg: "@oven/bun-darwin-x64",
    exe: "bin/bun",
    deno: "x86_64-apple-darwin",
  },
  {
    id: "darwin-arm64",
    os: "darwin",
    arch: "arm64",
    bun: "bun-darwin-arm64",
    pkg: "@oven/bun-darwin-aarch64",
    exe: "bin/bun",
    deno: "aarch64-apple-darwin",
  },
  {
    id: "windows-x64",
    os: "windows",
    arch: "x64",
    bun: "bun-windows-x64",
    pkg: "@oven/bun-windows-x64",
    exe: "bin/bun.exe",
    deno: "x86_64-pc-windows-msvc",
  },
  {
    id: "linux-x64-musl",
    os: "linux",
    arch: "x64",
    libc: "musl",
    bun: "bun-linux-x64-musl",
    pkg: "@oven/bun-linux-x64-musl",
    exe: "bin/bun",
  },
];

export const RELEASE_DIR = join(ROOT, "dist/release");

export function artifactName(version: string, target: Target, runtime: "bun" | "deno" = "bun"): string {
  const prefix = runtime === "deno" ? "oauthx-deno" : "oauthx";
  return `${prefix}-${version}-${target.id}${target.os === "windows" ? ".exe" : ""}`;
}
