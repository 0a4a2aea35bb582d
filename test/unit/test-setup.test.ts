// The test suite's setup (scripts/test-setup.ts, `npm test`'s pretest): it knows every program the
// tests drive, and the Debian package that brings each.

import { describe, expect, it } from "vitest";
import { installCommand, missingRequirements, postgresBin, REQUIREMENTS } from "../../scripts/test-setup.ts";

describe("test setup", () => {
  it("lists what is missing, with its Debian package", () => {
    expect(missingRequirements(() => true)).toEqual([]);
    const withoutChromium = missingRequirements((file) => file !== "/usr/bin/chromium");
    expect(withoutChromium).toEqual([expect.objectContaining({ debian: "chromium" })]);
    expect(missingRequirements(() => false)).toHaveLength(REQUIREMENTS.length);
  });

  it("covers every program a test requires by path", async () => {
    const { readFileSync, readdirSync } = await import("node:fs");
    const { join } = await import("node:path");
    const required = new Set<string>();
    const walk = (directory: string): string[] =>
      readdirSync(directory, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory() ? walk(join(directory, entry.name)) : [join(directory, entry.name)],
      );
    for (const file of walk(join(import.meta.dirname, ".."))) {
      for (const match of readFileSync(file, "utf8").matchAll(/requireFile\("([^"]+)"\)/g))
        required.add(match[1] as string);
    }
    const known = new Set(REQUIREMENTS.flatMap((requirement) => requirement.files));
    expect([...required].filter((file) => !known.has(file))).toEqual([]);
  });
});

describe("test setup's PostgreSQL", () => {
  it("is whichever major version is installed, the newest of several", () => {
    const installed =
      (...versions: string[]) =>
      (file: string) =>
        versions.some((version) => file === `/usr/lib/postgresql/${version}/bin/initdb`);
    const versions = () => ["9.6", "13", "15", "16", "17", "README"];
    expect(postgresBin(versions, installed("13", "16", "9.6"))).toBe("/usr/lib/postgresql/16/bin");
    expect(postgresBin(versions, installed("9.6"))).toBe("/usr/lib/postgresql/9.6/bin");
    expect(postgresBin(() => ["17"], installed("17"))).toBe("/usr/lib/postgresql/17/bin");
  });

  it("when none is installed, names where it is looked for, and a test needing it names the package", () => {
    expect(
      postgresBin(
        () => [],
        () => false,
      ),
    ).toBe("/usr/lib/postgresql/*/bin");
    // requireFile finds the Debian package by the file: the requirement lists the same path.
    const requirement = REQUIREMENTS.find((candidate) => candidate.debian === "postgresql");
    expect(requirement?.files).toContain(`${postgresBin()}/initdb`);
  });
});

describe("test setup's install command", () => {
  it("runs both halves with sudo when it is printed for someone else to run", () => {
    expect(installCommand(["age", "git"], { sudo: true })).toBe(
      "sudo apt-get update && sudo apt-get install -y --no-install-recommends age git",
    );
    expect(installCommand(["age"])).toBe("apt-get update && apt-get install -y --no-install-recommends age");
  });
});
