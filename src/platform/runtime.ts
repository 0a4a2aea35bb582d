// Which runtime runs us, for `--version` and `doctor`. The only place that looks at Bun and Deno
// globals (docs/architecture.md "Layers": runtime differences live in src/platform/).

import process from "node:process";

declare const Bun: { version: string } | undefined;
declare const Deno: { version: { deno: string } } | undefined;

export interface RuntimeInfo {
  name: "bun" | "deno" | "node";
  version: string;
  /** `linux-x64`, `darwin-arm64`, `win32-x64`, ... */
  target: string;
  /** Running as a `bun build --compile` single executable. */
  compiled: boolean;
}

export function runtimeInfo(): RuntimeInfo {
  const target = `${process.platform}-${process.arch}`;
  if (typeof Bun !== "undefined") {
    // A compiled executable serves its modules from Bun's embedded file system.
    const compiled = import.meta.url.includes("/$bunfs/") || import.meta.url.includes("/~BUN/");
    return { name: "bun", version: Bun.version, target, compiled };
  }
  if (typeof Deno !== "undefined") {
    return { name: "deno", version: Deno.version.deno, target, compiled: false };
  }
  return { name: "node", version: process.versions.node, target, compiled: false };
}
