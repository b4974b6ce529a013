import { configDefaults, defineConfig } from "vitest/config"

export default defineConfig({
  // Workspace packages resolve to their TypeScript sources (the "source" export condition).
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    include: ["packages/*/test/**/*.test.ts", "test/**/*.test.ts"],
    // Cases taking minutes run with `pnpm test:slow` (vitest.slow.config.ts), which CI also runs.
    exclude: [...configDefaults.exclude, "**/*.slow.test.ts"],
    reporters: ["default", "./tools/summary-reporter.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000
  }
})
