// Holds off SIGINT, SIGTERM and SIGHUP while a section runs, then acts on them. Used around a
// refresh: once a rotating server has answered, the old refresh token is dead, and the new one
// exists only in this process until the store is renamed into place. A Ctrl-C in that window
// would lose the login; deferred, it ends the process a few milliseconds later, with the token kept.
// (kill -9 cannot be deferred; the window for it is measured in test/fault.)

import process from "node:process";

const DEFERRED = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

export async function withSignalsDeferred<T>(section: () => Promise<T>): Promise<T> {
  let received: NodeJS.Signals | undefined;
  const handlers = DEFERRED.map((signal) => {
    const handler = () => {
      received ??= signal;
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  try {
    return await section();
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
    // Now delivered as if it had arrived just now: the default action ends the process (128+N).
    if (received) process.kill(process.pid, received);
  }
}
