// The home, store and identity files must be ours (security review, issue 24): their owner can
// chmod them at will, so a 0600 store that belongs to another user is theirs to read or replace.
// Only modes were checked before. Root may own them (it can do all that anyway), as for the
// providers file (origin-binding.test.ts).

import type { Stats } from "node:fs";
import { describe, expect, it } from "vitest";
import { assertPrivateDirectory, assertPrivateFile } from "../../src/store/permissions.ts";

const me = process.getuid?.() ?? 0;
const other = me === 4242 ? 4343 : 4242;
const file = (uid: number, mode: number) => ({ uid, mode: 0o100000 | mode }) as Stats;
const directory = (uid: number, mode: number) => ({ uid, mode: 0o40000 | mode }) as Stats;
const failure = (check: () => void) => {
  try {
    check();
  } catch (error) {
    return error as { code: string; message: string; remedy: string };
  }
  throw new Error("accepted");
};

describe("secret files and the home belong to us", () => {
  it("a store or identity file of another user is refused, whatever its mode", () => {
    expect(() => assertPrivateFile("/h/tokens.age", file(me, 0o600))).not.toThrow();
    expect(() => assertPrivateFile("/h/tokens.age", file(0, 0o600))).not.toThrow();
    expect(failure(() => assertPrivateFile("/h/identity.txt", file(other, 0o600)))).toEqual(
      expect.objectContaining({
        code: "STORE_PERMISSIONS",
        message: `/h/identity.txt belongs to another user (uid ${other}); refusing to use it`,
        remedy: `chown ${me} /h/identity.txt, or remove it`,
      }),
    );
    // The mode rule still holds for our own files.
    expect(failure(() => assertPrivateFile("/h/tokens.age", file(me, 0o640))).message).toContain(
      "accessible by other users (mode 0640)",
    );
  });

  it("a home directory of another user is refused, even one closed to everyone else", () => {
    expect(() => assertPrivateDirectory("/h", directory(me, 0o700))).not.toThrow();
    expect(() => assertPrivateDirectory("/h", directory(0, 0o755))).not.toThrow();
    expect(failure(() => assertPrivateDirectory("/h", directory(other, 0o700)))).toMatchObject({
      code: "STORE_PERMISSIONS",
      message: `/h belongs to another user (uid ${other}); refusing to use it`,
    });
  });
});
