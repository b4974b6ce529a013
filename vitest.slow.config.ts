import { defineConfig } from "vitest/config"

// The slow suite (`pnpm test:slow`, run by CI after `pnpm test`): only `*.slow.test.ts` files,
// which the main config excludes. Not merged with vitest.config.ts: mergeConfig concatenates
// include/exclude lists, which would run (or exclude) everything.
export default defineConfig({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    include: ["**/*.slow.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**"],
    reporters: ["default", "./tools/summary-reporter.ts"],
    // One file at a time: these cases measure a listener's memory and a good peer's progress while
    // they flood it, and two floods sharing the machine's cores would measure each other.
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 60_000
  }
})
