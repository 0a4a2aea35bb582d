import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: integration and e2e tests spawn servers and binaries; keep parallelism modest.
    maxWorkers: 2,
  },
});
