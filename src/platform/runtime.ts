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
  /** Why this is not the native binary, when the npm package's launcher knows (docs/reference.md "npm packages"). */
  note?: string;
}

/** Set by the npm package's launcher before it runs the Node bundle; a global, so no child inherits it. */
const LAUNCHER_NOTE = Symbol.for("oauthx.runtime-note");

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
  const note = (globalThis as Record<symbol, unknown>)[LAUNCHER_NOTE];
  return {
    name: "node",
    version: process.versions.node,
    target,
    compiled: false,
    ...(typeof note === "string" ? { note } : {}),
  };
}
