/**
 * Builds the page to static files with esbuild: `dist/index.html`, `dist/main.js` and
 * `dist/identity-worker.js` (browser bundles: workspace packages from their TypeScript sources,
 * effect included, no `node:*`). `tsx build.ts` builds; `build()` is what the Chromium tests call.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import * as esbuild from "esbuild"

export const root = import.meta.dirname
export const defaultOutdir = path.join(root, "dist")

export const build = async (outdir: string = defaultOutdir): Promise<string> => {
  fs.mkdirSync(outdir, { recursive: true })
  await esbuild.build({
    entryPoints: [path.join(root, "src", "main.ts"), path.join(root, "src", "identity-worker.ts")],
    outdir,
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2022",
    conditions: ["source"],
    sourcemap: true,
    minify: true,
    logLevel: "warning"
  })
  fs.copyFileSync(path.join(root, "index.html"), path.join(outdir, "index.html"))
  return outdir
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.join(root, "build.ts")) {
  const outdir = await build(process.argv[2] === undefined ? defaultOutdir : path.resolve(process.argv[2]))
  console.log(`built ${outdir}`)
}
