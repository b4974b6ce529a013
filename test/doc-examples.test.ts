/**
 * Every JSDoc ```ts example in `packages/*\/src` must type-check as a complete program: each block
 * is written to `build/doc-examples/` (inside the repository, so workspace imports resolve to the
 * sources) and all are checked in one `tsc` run. READMEs' examples are run by readme-examples.test.ts.
 */
import { describe, expect, it } from "vitest"
import { allExamples, statements, typeCheck } from "./support/docExamples.ts"

describe("JSDoc examples", () => {
  const examples = allExamples()

  it("finds the examples", () => {
    expect(examples.length).toBeGreaterThanOrEqual(200)
  })

  it("imports workspace code by package name, never by relative path", () => {
    const relativeImports = examples
      .filter((example) => /from\s+["']\.{1,2}\//.test(example.code))
      .map((example) => `${example.source}:${example.line}`)
    expect(relativeImports).toEqual([])
  })

  it("show code, not only imports and comments", () => {
    const commentsOnly = examples
      .filter((example) => statements(example.code).trim() === "")
      .map((example) => `${example.source}:${example.line}`)
    expect(commentsOnly).toEqual([])
  })

  it("type-check", async () => {
    const diagnostics = await typeCheck(examples)
    const report = diagnostics.map(
      (diagnostic) =>
        `${diagnostic.origin ?? diagnostic.location}${
          diagnostic.example === undefined ? "" : ` (${diagnostic.example.name})`
        }\n  ${diagnostic.message}`
    )
    if (report.length > 0) console.error(`${report.length} diagnostics:\n\n${report.join("\n\n")}`)
    expect(report).toEqual([])
  }, 120_000)
})
