import { defineConfig } from "vitest/config"

// The browser page in real headless Chromium (test/browser/*.browser.ts): `pnpm test:browser`.
// Kept out of `pnpm test` because it needs Debian's chromium (CI installs it first).
export default defineConfig({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    include: ["test/browser/**/*.browser.ts"],
    reporters: ["default", "./tools/summary-reporter.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000
  }
})
