// Runs a shell command line on a pseudo-terminal with script(1), as a person at a terminal would
// (or over SSH). The two script(1)s take different arguments: util-linux's on Linux, BSD's on macOS
// (the macOS form is written from its manual page and has not run here yet; CI's macOS job is where
// it first will).

import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";

export function spawnOnTerminal(commandLine: string, env: NodeJS.ProcessEnv): ChildProcessWithoutNullStreams {
  const args =
    process.platform === "darwin"
      ? ["-q", "/dev/null", "sh", "-c", commandLine]
      : ["-qfec", commandLine, "/dev/null"];
  return spawn("script", args, { env: { ...env, TERM: "dumb" }, stdio: ["pipe", "pipe", "pipe"] });
}
