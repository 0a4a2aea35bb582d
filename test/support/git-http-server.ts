// A git smart-HTTP server for end-to-end tests: git's own `git http-backend` (git-http-backend(1))
// run as a CGI program behind a Node HTTP server on 127.0.0.1, which demands HTTP Basic
// credentials whose password the test's authorization server accepts as a bearer token. Clones
// and pushes go through it as they would through a forge. Every test that starts one must
// `await server.close()`.

import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { listenOnLoopback } from "./loopback-http.ts";

/** Where Debian's git package puts it; `git --exec-path` says where elsewhere. */
export function gitHttpBackend(): string {
  const execPath = spawnSync("git", ["--exec-path"], { encoding: "utf8" });
  if (execPath.status !== 0) throw new Error("git is not installed: the git credential tests need it");
  const backend = `${execPath.stdout.trim()}/git-http-backend`;
  if (!existsSync(backend)) throw new Error(`git-http-backend is missing (looked at ${backend})`);
  return backend;
}

export interface GitRequest {
  method: string;
  path: string;
  /** The Basic user name and password sent, if any. */
  username?: string;
  password?: string;
  /** What the server answered. */
  status: number;
}

export interface GitHttpServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** git's `host` for this server: `127.0.0.1:<port>`. */
  host: string;
  requests: GitRequest[];
  close(): Promise<void>;
}

export async function startGitHttpServer(options: {
  /** The directory holding the bare repositories (GIT_PROJECT_ROOT). */
  root: string;
  /** Whether a password is a token the authorization server accepts. */
  accepts(password: string): Promise<boolean>;
}): Promise<GitHttpServer> {
  const backend = gitHttpBackend();
  const requests: GitRequest[] = [];
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.statusCode = 500;
      response.end(String(error));
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const credentials = basicCredentials(request.headers.authorization);
    const record: GitRequest = {
      method: request.method ?? "GET",
      path: url.pathname,
      status: 0,
      ...credentials,
    };
    requests.push(record);
    if (credentials.password === undefined || !(await options.accepts(credentials.password))) {
      record.status = 401;
      request.resume();
      response.writeHead(401, { "WWW-Authenticate": 'Basic realm="git"', "Content-Type": "text/plain" });
      response.end("authentication required\n");
      return;
    }
    // The CGI/1.1 variables git-http-backend reads (RFC 3875 §4.1; git-http-backend(1) ENVIRONMENT).
    const child = spawn(backend, [], {
      env: {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: options.root,
        GIT_HTTP_EXPORT_ALL: "1",
        GATEWAY_INTERFACE: "CGI/1.1",
        REQUEST_METHOD: record.method,
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: request.headers["content-type"] ?? "",
        ...(request.headers["content-length"] ? { CONTENT_LENGTH: request.headers["content-length"] } : {}),
        ...(request.headers["content-encoding"]
          ? { HTTP_CONTENT_ENCODING: request.headers["content-encoding"] }
          : {}),
        ...(typeof request.headers["git-protocol"] === "string"
          ? { HTTP_GIT_PROTOCOL: request.headers["git-protocol"] }
          : {}),
        // An authenticated user: git-http-backend enables receive-pack (push) only then.
        REMOTE_USER: credentials.username || "git",
        REMOTE_ADDR: "127.0.0.1",
      },
      stdio: ["pipe", "pipe", "pipe"],
    });
    request.pipe(child.stdin);
    child.stderr.resume();
    await relayCgiResponse(child.stdout, response);
    record.status = response.statusCode;
  }

  const listening = await listenOnLoopback(server);
  return { url: listening.url, host: new URL(listening.url).host, requests, close: listening.close };
}

function basicCredentials(header: string | undefined): { username?: string; password?: string } {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? "");
  if (!match) return {};
  const decoded = Buffer.from(match[1] as string, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0
    ? { username: decoded }
    : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** A CGI response (RFC 3875 §6): header lines, a blank line, the body; `Status:` sets the code. */
function relayCgiResponse(output: NodeJS.ReadableStream, response: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    let headersDone = false;
    output.on("data", (chunk: Buffer) => {
      if (headersDone) {
        response.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const text = head.toString("latin1");
      const crlf = text.indexOf("\r\n\r\n");
      const lf = text.indexOf("\n\n");
      const end = crlf >= 0 && (lf < 0 || crlf < lf) ? crlf + 4 : lf >= 0 ? lf + 2 : -1;
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      for (const line of text.slice(0, end).split(/\r?\n/)) {
        const colon = line.indexOf(":");
        if (colon <= 0) continue;
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === "status") status = Number.parseInt(value, 10);
        else response.setHeader(name, value);
      }
      response.statusCode = status;
      response.write(head.subarray(end));
    });
    output.on("end", () => {
      if (!headersDone) response.statusCode = 502;
      response.end();
      resolve();
    });
    output.on("error", reject);
  });
}
