// `exec --serve`'s token endpoint, spoken to over raw HTTP: who gets a token, what every refusal
// looks like, and that no request (however malformed) can stop it serving the child.

import { request } from "node:http";
import { networkInterfaces } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { type CredentialServer, startCredentialServer } from "../../src/cli/tokens/credential-server.ts";
import { OauthxError } from "../../src/errors.ts";
import type { TokenEntry } from "../../src/store/document.ts";

const token: TokenEntry = {
  access_token: "at-served",
  token_type: "Bearer",
  expires_at: 1_900_000_000,
  scopes: [],
  obtained_at: 1_800_000_000,
};

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request with `path` sent byte for byte (no URL normalisation); fails instead of hanging. */
function send(
  server: CredentialServer,
  path: string,
  options: { method?: string; authorization?: string; host?: string } = {},
): Promise<Answer> {
  const { port } = new URL(server.url);
  const authorization = options.authorization ?? `Bearer ${server.secret}`;
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: options.host ?? "127.0.0.1",
        port,
        path,
        method: options.method ?? "GET",
        headers: authorization === "" ? {} : { authorization },
        timeout: 5_000,
      },
      (response) => {
        let body = "";
        response.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
        );
      },
    );
    outgoing.on("timeout", () => outgoing.destroy(new Error(`no answer to ${path}`)));
    outgoing.on("error", reject);
    outgoing.end();
  });
}

const servers: CredentialServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function serve(fresh: (provider: string) => Promise<TokenEntry> = async () => token) {
  const server = await startCredentialServer(["github", "my provider"], fresh);
  servers.push(server);
  return server;
}

describe("exec --serve credential server", () => {
  it("answers a fresh token to a GET with the per-run secret, never cached", async () => {
    const asked: string[] = [];
    const server = await serve(async (provider) => {
      asked.push(provider);
      return token;
    });
    const answer = await send(server, "/github");
    expect(answer.status).toBe(200);
    expect(answer.headers["cache-control"]).toBe("no-store");
    expect(JSON.parse(answer.body)).toEqual({
      access_token: "at-served",
      token_type: "Bearer",
      expires_at: new Date(1_900_000_000_000).toISOString(),
    });
    expect((await send(server, "/my%20provider")).status).toBe(200);
    expect(asked).toEqual(["github", "my provider"]);
  });

  it("refuses a missing or wrong secret with 401, before looking at the path", async () => {
    let asked = 0;
    const server = await serve(async () => {
      asked++;
      return token;
    });
    for (const authorization of ["", "Bearer wrong", `Bearer ${server.secret}x`, server.secret]) {
      const answer = await send(server, "/github", { authorization });
      expect(answer.status).toBe(401);
      expect(JSON.parse(answer.body)).toEqual({ error: "unauthorized" });
    }
    expect((await send(server, "/%E0%A4%A", { authorization: "Bearer wrong" })).status).toBe(401);
    expect(asked).toBe(0);
  });

  it("answers 404 for a provider it does not serve and 405 for anything but GET", async () => {
    const server = await serve();
    const unknown = await send(server, "/gitlab");
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toEqual({ error: "not_found", providers: ["github", "my provider"] });
    for (const method of ["POST", "PUT", "DELETE"]) {
      const answer = await send(server, "/github", { method });
      expect(answer.status).toBe(405);
      expect(answer.headers.allow).toBe("GET");
    }
  });

  it("answers 400 for a malformed path and keeps serving", async () => {
    const server = await serve();
    for (const path of ["/%E0%A4%A", "/%", "/github%ZZ", "//"]) {
      const answer = await send(server, path);
      expect(answer.status, path).toBe(400);
      expect(JSON.parse(answer.body)).toEqual({ error: "bad_request" });
    }
    expect((await send(server, "/github")).status).toBe(200);
  });

  it("answers 503 with only the error code when the token cannot be had", async () => {
    const server = await serve(async (provider) => {
      if (provider === "github") {
        throw new OauthxError("REFRESH_REJECTED", "github refused refresh token rt-secret-123", {
          remedy: "log in again",
        });
      }
      throw new TypeError("cannot read rt-secret-456");
    });
    const refused = await send(server, "/github");
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body)).toEqual({ error: "REFRESH_REJECTED" });
    const broken = await send(server, "/my%20provider");
    expect(broken.status).toBe(503);
    expect(JSON.parse(broken.body)).toEqual({ error: "INTERNAL" });
  });

  it("answers 500 with a generic error, never the error's text, when its own code throws", async () => {
    const server = await serve(
      async (provider) =>
        provider === "github"
          ? {
              ...token,
              get access_token(): string {
                throw new Error("at-secret-789 cannot be read");
              },
            }
          : { ...token, expires_at: 1e20 }, // no Date can hold it: toISOString throws
    );
    for (const path of ["/github", "/my%20provider"]) {
      const answer = await send(server, path);
      expect(answer.status, path).toBe(500);
      expect(JSON.parse(answer.body)).toEqual({ error: "internal" });
    }
  });

  it("listens on 127.0.0.1 only", async () => {
    const server = await serve();
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const elsewhere = Object.values(networkInterfaces())
      .flat()
      .filter((address) => address !== undefined && !address.internal)
      .map((address) => address!.address);
    if (process.platform === "linux") elsewhere.push("127.0.0.2"); // all of 127/8 is local on Linux
    expect(elsewhere.length).toBeGreaterThan(0);
    for (const host of elsewhere) {
      await expect(send(server, "/github", { host }), host).rejects.toThrow(/ECONNREFUSED|EADDRNOTAVAIL/);
    }
  });
});
