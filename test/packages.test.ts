/**
 * The packages as users install them: each library is packed (`pnpm pack --dry-run`) after its
 * build, and the tarball's file list and manifest are checked: LICENSE, README, the built
 * JavaScript with its declarations, the sources the declaration maps point to; no `.tsbuildinfo`,
 * no tests; `effect` (and `@effect/platform-node` where used) as peer dependencies, so that an
 * application has exactly one Effect; `engines` and `repository` set.
 */
import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const packages = ["codec", "crypto", "connection", "session", "pool", "node", "cli"] as const

interface Manifest {
  readonly name: string
  readonly license?: string
  readonly engines?: Record<string, string>
  readonly repository?: { readonly url?: string; readonly directory?: string }
  readonly dependencies?: Record<string, string>
  readonly peerDependencies?: Record<string, string>
  readonly devDependencies?: Record<string, string>
}

const packedFiles = (dir: string): Array<string> => {
  const out = execFileSync("pnpm", ["pack", "--dry-run", "--json"], { cwd: dir, encoding: "utf8" })
  const parsed = JSON.parse(out) as { files: ReadonlyArray<{ path: string }> }
  return parsed.files.map((f) => f.path)
}

describe("packages as users install them", () => {
  // Built once, as `pnpm build` does (incremental: nothing to do when dist is current).
  execFileSync("pnpm", ["exec", "tsc", "-b", ...packages.map((p) => `packages/${p}/tsconfig.src.json`)], {
    cwd: root,
    stdio: "inherit"
  })

  for (const name of packages) {
    it(`@effect-p2p/${name}: the tarball holds the licence, the built code and its sources, nothing else`, () => {
      const dir = join(root, "packages", name)
      const files = packedFiles(dir)
      expect(files).toContain("LICENSE")
      expect(files).toContain("README.md")
      expect(files).toContain("package.json")
      expect(files).toContain("dist/index.js")
      expect(files).toContain("dist/index.d.ts")
      expect(files).toContain("src/index.ts")
      expect(files.filter((f) => f.endsWith(".tsbuildinfo"))).toEqual([])
      expect(files.filter((f) => /(^|\/)test\/|\.test\.ts$/.test(f))).toEqual([])
      // the workspace launcher (`pnpm effect-p2p` builds, then runs dist/bin.js) is the only other file
      const allowedExtra = name === "cli" ? ["bin/effect-p2p.js"] : []
      const extra = files.filter(
        (f) => !/^(dist|src)\//.test(f) && !["LICENSE", "README.md", "package.json"].includes(f)
      )
      expect(extra.filter((f) => !allowedExtra.includes(f))).toEqual([])
      if (name === "cli") expect(files).toContain("dist/bin.js")
    })

    it(`@effect-p2p/${name}: effect is a peer dependency, engines and repository are set`, () => {
      const manifest = JSON.parse(readFileSync(join(root, "packages", name, "package.json"), "utf8")) as Manifest
      expect(manifest.license).toBe("MIT")
      expect(manifest.engines?.node).toMatch(/^>=20/)
      expect(manifest.repository?.directory).toBe(`packages/${name}`)
      expect(manifest.peerDependencies?.effect).toBeDefined()
      expect(manifest.dependencies?.effect).toBeUndefined()
      // the workspace's own copy, for its tests and builds
      expect(manifest.devDependencies?.effect).toBeDefined()
      const usesPlatformNode = name === "node" || name === "cli"
      expect(manifest.peerDependencies?.["@effect/platform-node"] !== undefined).toBe(usesPlatformNode)
      expect(manifest.dependencies?.["@effect/platform-node"]).toBeUndefined()
    })
  }
})
