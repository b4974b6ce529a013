/**
 * Every package README's TypeScript example must run as written: each ```ts block is written to a
 * scratch file inside the repository (so workspace imports resolve) and executed with tsx. A block
 * fenced as ```ts no-run is only shown, not run (for examples that need a network peer).
 */
import { execFile } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"

const root = resolve(import.meta.dirname, "..")
const run = promisify(execFile)

const examples = (file: string): Array<string> =>
  [...readFileSync(file, "utf8").matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!)

const readmes = [
  join(root, "README.md"),
  ...readdirSync(join(root, "packages")).map((name) => join(root, "packages", name, "README.md"))
].filter((file) => {
  try {
    return examples(file).length > 0
  } catch {
    return false
  }
})

describe("README examples run", () => {
  it("finds the package examples", () => {
    expect(readmes.length).toBeGreaterThanOrEqual(4)
  })

  for (const readme of readmes) {
    examples(readme).forEach((code, index) => {
      it(`${readme.slice(root.length + 1)} example ${index + 1}`, async () => {
        const dir = mkdtempSync(join(root, "build-readme-"))
        try {
          const file = join(dir, "example.ts")
          writeFileSync(file, code)
          const { stderr } = await run(join(root, "node_modules", ".bin", "tsx"), ["--conditions=source", file], {
            cwd: root,
            timeout: 60_000
          })
          expect(stderr).not.toMatch(/Error|Unhandled/)
        } finally {
          rmSync(dir, { recursive: true, force: true })
        }
      }, 90_000)
    })
  }
})
