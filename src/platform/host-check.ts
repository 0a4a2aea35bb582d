// Does a host answer, briefly? `login` asks it of the authorization endpoint before it waits (five
// minutes by default) for a browser that would only show "server not found": a mistyped
// `--set domain=…` fails in seconds, with the host named. A TCP connection to the endpoint's port
// is enough (name resolution included); nothing is sent. Bounded: a host that neither answers nor
// refuses within `timeoutMs` is reported as silent — which may be a lost DNS packet (glibc asks
// again after 5 s) or a firewall, so the caller treats only the definite answers as fatal.

import { connect } from "node:net";

export type HostProblem =
  /** No address for the name (NXDOMAIN, or the resolver cannot be reached). */
  | "does not resolve"
  /** Resolved, but nothing listens on the port. */
  | "refuses connections"
  /** No route to it from here. */
  | "cannot be reached"
  /** Neither an answer nor a refusal within the bound (or an error that says no more). */
  | "does not answer";

/** The problems that are answers, not silence: no later try goes otherwise. */
export function isDefinite(problem: HostProblem): boolean {
  return problem !== "does not answer";
}

/**
 * Undefined when `url`'s host accepts a connection within `timeoutMs`, or when `signal` aborts the
 * check (Ctrl-C: the caller ends the login at once); otherwise what is wrong.
 */
export function hostProblem(
  url: URL,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<HostProblem | undefined> {
  const port = Number(url.port) || (url.protocol === "http:" ? 80 : 443);
  // URL keeps an IPv6 literal in brackets; net.connect wants it bare.
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const settle = (problem: HostProblem | undefined) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", abort);
      socket.destroy();
      resolve(problem);
    };
    const abort = () => settle(undefined);
    const timer = setTimeout(() => settle("does not answer"), timeoutMs);
    if (signal?.aborted) {
      abort();
      return;
    }
    signal?.addEventListener("abort", abort, { once: true });
    socket.once("connect", () => settle(undefined));
    socket.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOTFOUND" || error.code === "EAI_AGAIN" || error.code === "EAI_NONAME")
        settle("does not resolve");
      else if (error.code === "ECONNREFUSED") settle("refuses connections");
      else if (error.code === "EHOSTUNREACH" || error.code === "ENETUNREACH") settle("cannot be reached");
      else settle("does not answer");
    });
  });
}
