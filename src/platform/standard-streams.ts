// Standard output, standard error and "is this a terminal?", at the cost `token` and `exec` can pay.
//
// Why not process.stdout.write and process.stdin.isTTY: on Bun the first touch of process.stdout,
// process.stdin or node:tty loads the stream and tty machinery, which costs more than the rest of
// a warm `oauthx token` (docs/performance.md). oauthx
// writes a few lines and exits, so a synchronous write(2) on the descriptor does the same job, and
// the terminal check runs only for the commands that ask.

import { writeSync } from "node:fs";
import process from "node:process";

export interface Output {
  write(text: string): void;
}

/**
 * Writes to descriptor 1 or 2 synchronously, whole. If the descriptor is non-blocking and full
 * (EAGAIN, a pipe its reader is slow to drain), this and every later write go through Node's
 * stream instead, which queues them in order. When the reader has gone (EPIPE, `oauthx … | head`),
 * further output is dropped, as a CLI that ignores SIGPIPE should.
 */
export function descriptorOutput(fd: 1 | 2): Output {
  let mode: "sync" | "stream" | "closed" = "sync";
  const stream = () => (fd === 1 ? process.stdout : process.stderr);
  return {
    write(text) {
      if (mode === "closed") return;
      if (mode === "stream") {
        stream().write(text);
        return;
      }
      const bytes = Buffer.from(text, "utf8");
      let offset = 0;
      while (offset < bytes.length) {
        try {
          offset += writeSync(fd, bytes, offset);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === "EPIPE") {
            mode = "closed";
            return;
          }
          if (code !== "EAGAIN") throw error;
          mode = "stream";
          stream().write(bytes.subarray(offset));
          return;
        }
      }
    },
  };
}

/** Whether descriptor `fd` is a terminal; loads node:tty only when called (see above). */
export function isTerminal(fd: 0 | 1 | 2): boolean {
  // process.getBuiltinModule: Node 20.16+, Bun, Deno 2; a synchronous import on demand.
  if (typeof process.getBuiltinModule === "function") return process.getBuiltinModule("node:tty").isatty(fd);
  return Boolean([process.stdin, process.stdout, process.stderr][fd]?.isTTY);
}
