// Standard output, standard error and "is this a terminal?", at the cost `token` and `exec` can pay.
//
// Why not process.stdout.write and process.stdin.isTTY: on Bun the first touch of process.stdout,
// process.stdin or node:tty loads the stream and tty machinery, which costs more than the rest of
// a warm `oauthx token` (docs/performance.md). oauthx writes a few lines and exits, so a
// synchronous write(2) on the descriptor does the same job, and the terminal check runs only for
// the commands that ask. On Bun, whole lines of stdout go through console.log, which is that same
// synchronous write(2) and costs nothing to load, where node:fs does (`oauthx --version` loads
// nothing else); node:fs is loaded on the first write that needs it. Not console.error for stderr:
// on a terminal Bun paints everything it writes red, so "Open this URL" and "Logged in" read as
// errors. stderr carries messages, never a warm path's output, so it can pay for node:fs.

import process from "node:process";

declare const Bun: unknown;

type WriteSync = (fd: number, buffer: Uint8Array, offset: number) => number;

/** node:fs's writeSync, loaded on first use; undefined where the runtime cannot load it synchronously. */
function fsWriteSync(): WriteSync | undefined {
  return process.getBuiltinModule?.("node:fs").writeSync as WriteSync | undefined;
}

export interface Output {
  write(text: string): void;
  /**
   * Whether a write was dropped because the reader had gone (EPIPE). Known only for text written
   * with write(2): on Bun, whole lines to stdout go through console.log, which drops them unsaid.
   */
  lost?(): boolean;
}

/**
 * Writes to descriptor 1 or 2 synchronously, whole. On Bun a text of whole lines for stdout goes
 * through console.log, which writes it whole, in order, and drops it once the reader has gone.
 * Otherwise write(2): if the descriptor is non-blocking and full (EAGAIN, a pipe its reader is slow
 * to drain), this and every later write go through Node's stream instead, which queues them in
 * order; when the reader has gone (EPIPE, `oauthx … | head`), further output is dropped, as a CLI
 * that ignores SIGPIPE should.
 */
export function descriptorOutput(fd: 1 | 2): Output {
  let mode: "sync" | "stream" | "closed" = "sync";
  const stream = () => (fd === 1 ? process.stdout : process.stderr);
  const toStream = (chunk: string | Uint8Array) => {
    unflushed++;
    stream().write(chunk, () => {
      if (--unflushed === 0) for (const resolve of waiting.splice(0)) resolve();
    });
  };
  const line = typeof Bun === "undefined" || fd === 2 ? undefined : console.log;
  return {
    lost: () => mode === "closed",
    write(text) {
      if (mode === "closed") return;
      if (mode === "stream") {
        toStream(text);
        return;
      }
      if (line !== undefined && text.endsWith("\n")) {
        // "%s": the text as it is, never read as a format string.
        line("%s", text.slice(0, -1));
        return;
      }
      const writeSync = fsWriteSync();
      if (writeSync === undefined) {
        mode = "stream";
        toStream(text);
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
          toStream(bytes.subarray(offset));
          return;
        }
      }
    },
  };
}

/** Writes handed to a stream and not yet flushed, and who waits for them. */
let unflushed = 0;
const waiting: (() => void)[] = [];

/** Resolves once every write that went through a stream has been flushed. */
export function drained(): Promise<void> {
  return unflushed === 0 ? Promise.resolve() : new Promise((resolve) => waiting.push(resolve));
}

/** Whether descriptor `fd` is a terminal; loads node:tty only when called (see above). */
export function isTerminal(fd: 0 | 1 | 2): boolean {
  // process.getBuiltinModule: Node 20.16+, Bun, Deno 2; a synchronous import on demand.
  if (typeof process.getBuiltinModule === "function") return process.getBuiltinModule("node:tty").isatty(fd);
  return Boolean([process.stdin, process.stdout, process.stderr][fd]?.isTTY);
}
