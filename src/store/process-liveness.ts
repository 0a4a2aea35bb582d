// Is a process on this host still running? Used to recognise locks and temp files left by a
// process that died. `kill(pid, 0)` sends nothing: it only asks the kernel whether the pid exists.
// Node, Bun and Deno all implement it the same way (checked: ESRCH for a dead pid).

import process from "node:process";

/**
 * False only when the pid certainly does not exist (ESRCH). EPERM means the process exists but
 * belongs to another user, and any other answer is treated as alive: guessing "dead" wrongly
 * would let two processes hold the lock, guessing "alive" wrongly only makes us wait.
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}
