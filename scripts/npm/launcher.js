#!/usr/bin/env node
// `oauthx` as npm installs it. The postinstall step (install.js) replaces this file with the native
// binary, so that `oauthx` starts no Node at all; this launcher runs only where that did not
// happen: install scripts were off (`--ignore-scripts`), or Windows, where npm's shim runs a
// JavaScript bin with node. It starts the native binary with this process's arguments and standard
// streams and exits as it did; without one (optional dependencies omitted, no package for this
// platform) it runs the Node bundle, and `oauthx --version` says why.

import { spawn } from "node:child_process";
import process from "node:process";
import { nativeBinary } from "../native.js";

/** The Node bundle, with the reason in the note `--version` prints (src/platform/runtime.ts). */
async function runOnNode(note) {
  globalThis[Symbol.for("oauthx.runtime-note")] = note;
  await import("../dist/npm/oauthx.js");
}

function runNative(binary) {
  const child = spawn(binary, process.argv.slice(2), { stdio: "inherit" });
  // A terminal's Ctrl-C reaches the whole foreground process group, the binary included, which
  // decides what it means (a refresh finishes writing first): the launcher only waits for it.
  // SIGTERM and SIGHUP come from a supervisor to this process alone, so they are passed on.
  process.on("SIGINT", () => {});
  for (const signal of ["SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
  let failed = false;
  child.on("error", (error) => {
    failed = true;
    // A binary that cannot start here (e.g. another libc's): the Node bundle still can.
    process.removeAllListeners("SIGINT");
    runOnNode(`running on Node, slower: the native binary did not start (${error.code ?? error.message})`);
  });
  child.on("exit", (code, signal) => {
    if (failed) return;
    if (signal) {
      // Die of the same signal, so that the shell sees what the binary's caller would have.
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code ?? 1);
  });
}

const found = nativeBinary();
if ("binary" in found) runNative(found.binary);
else await runOnNode(found.note);
