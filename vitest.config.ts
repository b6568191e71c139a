import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // `npm run coverage`: what the in-process tiers execute of src/ (the e2e tier's child processes run the bundle in
    // dist/, which V8 coverage of the test workers does not see).
    coverage: {
      provider: "v8",
      include: ["src/**/*.ts"],
      reporter: ["text-summary", "json-summary"],
    },
    // Two test files at a time, whatever the machine: the e2e tier mostly waits on child processes and the
    // in-process tier on its sandbox, so a second worker overlaps waits on a 2-core machine without overloading it.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          globalSetup: ["test/support/build-once.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
