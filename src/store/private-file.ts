// Reading a secret file: its bytes, after checking on the open descriptor (so the check and the read
// concern the same file, even if the path is replaced in between) that only its owner can reach it.

import * as fs from "node:fs";
import { assertPrivateFile } from "./permissions.ts";

/** The file's bytes; undefined when it does not exist. STORE_PERMISSIONS when others can reach it. */
export function readPrivateFile(file: string): Uint8Array | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw error;
  }
  try {
    assertPrivateFile(file, fs.fstatSync(fd));
    return new Uint8Array(fs.readFileSync(fd));
  } finally {
    fs.closeSync(fd);
  }
}
