import { describe, expect, it } from "vitest";
import { closest, editDistance } from "../../src/suggest.ts";

describe("did-you-mean", () => {
  it("counts a swap of neighbours as one edit", () => {
    expect(editDistance("tokne", "token")).toBe(1);
    expect(editDistance("login", "logout")).toBe(3);
  });
  it("suggests only close candidates", () => {
    expect(closest("provders", ["providers", "login"])).toBe("providers");
    expect(closest("xyz", ["providers", "login"])).toBeUndefined();
  });
});
