// RFC 8628 §3.2 device authorization responses: the user code and verification URIs are printed to
// the user's terminal, so what the server sent is made printable before it leaves the protocol layer.

import { describe, expect, it } from "vitest";
import { startDeviceAuthorization } from "../../src/oauth/device.ts";
import type { Client } from "../../src/oauth/types.ts";
import { rejection } from "../support/rejection.ts";

const server = {
  token_endpoint: "https://auth.example.com/token",
  device_authorization_endpoint: "https://auth.example.com/device/code",
};
const client: Client = { client_id: "app", client_auth: "none" };

/** A fetch that answers every request with `body` as JSON. */
function answering(body: object) {
  return (async () =>
    new Response(JSON.stringify(body), {
      status: 200,
      headers: { "content-type": "application/json" },
    })) as unknown as typeof globalThis.fetch;
}

const start = (body: object) =>
  startDeviceAuthorization(server, client, { scopes: ["repo"] }, { fetch: answering(body) });

const valid = {
  device_code: "dc-123",
  user_code: "WDJB-MJHT",
  verification_uri: "https://example.com/device",
  expires_in: 900,
};
/** Would clear the screen, retitle the window and hide what follows; C1 CSI, DEL, NUL, BEL too. */
const HOSTILE = "\x1b[2J\x1b]0;pwned\x07\x1b[8m\x9b31m\x7f\x00\x07\u202e";

describe("device authorization response (RFC 8628 §3.2)", () => {
  it("passes a well-formed answer through unchanged", async () => {
    expect(
      await start({ ...valid, verification_uri_complete: `${valid.verification_uri}?user_code=WDJB-MJHT` }),
    ).toEqual({
      device_code: "dc-123",
      user_code: "WDJB-MJHT",
      verification_uri: "https://example.com/device",
      verification_uri_complete: "https://example.com/device?user_code=WDJB-MJHT",
      expires_in: 900,
      interval: 5,
    });
  });

  it("strips control characters and terminal escape sequences from the user code", async () => {
    const started = await start({
      ...valid,
      user_code: `${HOSTILE}WDJB-${HOSTILE}MJHT\x1b]8;;https://evil.example\x1b\\`,
    });
    expect(started.user_code).toBe("WDJB-MJHT");
    // The device code is sent back to the server, never shown: it stays exactly as received.
    expect((await start({ ...valid, device_code: "dc\x1b[0m" })).device_code).toBe("dc\x1b[0m");
  });

  it("refuses a user code with nothing printable in it", async () => {
    const error = await rejection(start({ ...valid, user_code: HOSTILE }));
    expect(error.code).toBe("INVALID_RESPONSE");
    expect(error.message).toContain("user_code is empty");
    expect(error.message).not.toContain("\x1b");
  });

  it("prints verification URIs as the normalised URL, with no control character left", async () => {
    const started = await start({
      ...valid,
      verification_uri: "https://EXAMPLE.com/device\x1b[2J\x1b]0;pwned\x07",
      verification_uri_complete: "https://example.com/device?user_code=WDJB\x9b31m\x7f-MJHT#\x1b[8m",
    });
    expect(started.verification_uri).toBe("https://example.com/device%1B[2J%1B]0;pwned");
    expect(started.verification_uri_complete).toBe(
      "https://example.com/device?user_code=WDJB%C2%9B31m%7F-MJHT#%1B[8m",
    );
    for (const uri of [started.verification_uri, started.verification_uri_complete!]) {
      expect([...uri].filter((char) => char < " " || (char >= "\x7f" && char <= "\x9f"))).toEqual([]);
    }
    // Google's pre-RFC verification_url gets the same treatment.
    const { verification_uri: _, ...google } = valid;
    expect(
      (await start({ ...google, verification_url: "https://www.google.com/device\x1b[0m" })).verification_uri,
    ).toBe("https://www.google.com/device%1B[0m");
  });

  it("refuses a verification URI whose host holds a control character", async () => {
    const error = await rejection(start({ ...valid, verification_uri: "https://exa\x1bmple.com/device" }));
    expect(error.code).toBe("INVALID_RESPONSE");
    expect(error.message).toContain("verification_uri must be an https URL");
    expect(error.message).not.toContain("\x1b");
  });
});
