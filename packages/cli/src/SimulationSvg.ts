/**
 * The picture `effect-p2p simulate --svg FILE` writes: the network at the end of a simulation (one
 * circle per node on a deterministic force layout, one segment per connection; private, hostile and
 * dead nodes drawn apart, with a legend) above a chart of the connection counts per virtual minute
 * (min to max as a bar, the median as a line) over the maintenance band
 * `[min_threshold, max_threshold]`.
 *
 * A pure function of the simulator's report: self-contained SVG 1.1 (no script, no external
 * reference), the same report giving the same bytes, every text escaped. It reads only the fields
 * declared in {@link Drawable}, a structural subset of the simulator's `Report`.
 *
 * @since 0.1.0
 */
import type * as Limits from "@effect-p2p/pool/Limits"
import type * as Simulator from "@effect-p2p/pool/Simulator"

/**
 * What the picture needs of a simulation report (the simulator's `Report` has these fields).
 *
 * @category models
 * @since 0.1.0
 */
export interface Drawable {
  readonly summary: {
    readonly peers: number
    readonly minutes: number
    readonly seed: number
    readonly converged: boolean
    readonly connected: boolean
    readonly minConnections: number
    readonly maxConnections: number
  }
  readonly perMinute: ReadonlyArray<{
    readonly minute: number
    readonly connections: { readonly min: number; readonly median: number; readonly max: number }
  }>
  /** The network at the end, as the simulator reports it. */
  readonly graph: Simulator.Graph
}

/**
 * The maintenance band drawn behind the chart (Octez's `min_threshold` and `max_threshold`).
 *
 * @category models
 * @since 0.1.0
 */
export type Band = Pick<Limits.MaintenanceBounds, "minThreshold" | "maxThreshold">

/**
 * Escapes text for XML character data and attribute values.
 *
 * @example
 * ```ts
 * import { SimulationSvg } from "@effect-p2p/cli"
 * SimulationSvg.escapeText(`<a & "b">`) // "&lt;a &amp; &quot;b&quot;&gt;"
 * ```
 * @category encoding
 * @since 0.1.0
 */
export const escapeText = (text: string): string =>
  text.replace(/[&<>"']/g, (c) =>
    c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : "&apos;"
  )

/** Width of the picture, px; the network is a square of this side. */
const width = 720
const margin = 24
const graphSide = width - 2 * margin
const headerHeight = 56
const legendHeight = 28
const chartTop = headerHeight + graphSide + legendHeight + 24
const chartHeight = 240
const chartLeft = margin + 40
const chartRight = width - margin
const height = chartTop + chartHeight + 48

/** Layout iterations: a fixed number, so the picture is the same for the same report. */
const layoutIterations = 60

/** Numbers written with at most one decimal, so the output is short and stable. */
const n1 = (value: number): string => String(Math.round(value * 10) / 10)

/**
 * Positions of the nodes in a unit square centred on 0 (each coordinate in [-0.5, 0.5]). The nodes
 * with at least one link are placed by a Fruchterman-Reingold force layout started from a sunflower
 * spiral (deterministic, no two nodes at the same place), run for a fixed number of iterations with
 * a linearly falling temperature, then scaled to fill a disc. Nodes without any link (stopped ones,
 * mostly) sit on a ring around that disc, so they neither fly off nor shrink the picture.
 *
 * @example
 * ```ts
 * import { SimulationSvg } from "@effect-p2p/cli"
 * SimulationSvg.layout(3, [[0, 1], [1, 2]]).length // 3
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const layout = (
  count: number,
  edges: ReadonlyArray<readonly [number, number]>
): Array<{ readonly x: number; readonly y: number }> => {
  const valid = edges.filter(([a, b]) => a !== b && a >= 0 && b >= 0 && a < count && b < count)
  const linked = new Set(valid.flat())
  const isolated = Array.from({ length: count }, (_, i) => i).filter((i) => !linked.has(i))
  // Positions in the force layout are kept by rank among the linked nodes.
  const members = Array.from({ length: count }, (_, i) => i).filter((i) => linked.has(i))
  const rank = new Map(members.map((node, r) => [node, r]))
  const m = members.length
  const golden = Math.PI * (3 - Math.sqrt(5))
  const x = new Float64Array(m)
  const y = new Float64Array(m)
  for (let i = 0; i < m; i++) {
    const r = 0.5 * Math.sqrt((i + 0.5) / m)
    x[i] = r * Math.cos(i * golden)
    y[i] = r * Math.sin(i * golden)
  }
  const links = valid.map(([a, b]) => [rank.get(a)!, rank.get(b)!] as const)
  const k = Math.sqrt(1 / Math.max(m, 1))
  const dx = new Float64Array(m)
  const dy = new Float64Array(m)
  for (let iteration = 0; iteration < layoutIterations; iteration++) {
    const temperature = 0.1 * (1 - iteration / layoutIterations)
    dx.fill(0)
    dy.fill(0)
    for (let i = 0; i < m; i++) {
      for (let j = i + 1; j < m; j++) {
        const ex = x[i]! - x[j]!
        const ey = y[i]! - y[j]!
        const distance = Math.max(Math.hypot(ex, ey), 1e-6)
        const force = (k * k) / distance / distance
        dx[i]! += ex * force
        dy[i]! += ey * force
        dx[j]! -= ex * force
        dy[j]! -= ey * force
      }
    }
    for (const [a, b] of links) {
      const ex = x[a]! - x[b]!
      const ey = y[a]! - y[b]!
      const force = Math.hypot(ex, ey) / k
      dx[a]! -= ex * force
      dy[a]! -= ey * force
      dx[b]! += ex * force
      dy[b]! += ey * force
    }
    for (let i = 0; i < m; i++) {
      // A weak pull to the centre keeps separate components in the frame.
      dx[i]! -= x[i]! * 4 * k
      dy[i]! -= y[i]! * 4 * k
      const length = Math.hypot(dx[i]!, dy[i]!)
      if (length > 0) {
        const step = Math.min(length, temperature)
        x[i]! += (dx[i]! / length) * step
        y[i]! += (dy[i]! / length) * step
      }
    }
  }
  let cx = 0
  let cy = 0
  for (let i = 0; i < m; i++) {
    cx += x[i]! / m
    cy += y[i]! / m
  }
  let reach = 0
  for (let i = 0; i < m; i++) reach = Math.max(reach, Math.hypot(x[i]! - cx, y[i]! - cy))
  const disc = isolated.length === 0 ? 0.5 : 0.42
  const scale = reach > 0 ? disc / reach : 0
  const positions: Array<{ x: number; y: number }> = Array.from({ length: count }, () => ({ x: 0, y: 0 }))
  members.forEach((node, i) => {
    positions[node] = { x: (x[i]! - cx) * scale, y: (y[i]! - cy) * scale }
  })
  isolated.forEach((node, i) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / isolated.length
    positions[node] =
      m === 0 && isolated.length === 1 ? { x: 0, y: 0 } : { x: 0.48 * Math.cos(angle), y: 0.48 * Math.sin(angle) }
  })
  return positions
}

/** The largest of a few round numbers at most a fifth of `max`, so an axis gets about five ticks. */
const tickStep = (max: number): number => {
  for (const step of [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000]) {
    if (max / step <= 6) return step
  }
  return 10 ** Math.ceil(Math.log10(max / 6))
}

const style = `
text{font-family:Helvetica,Arial,sans-serif;font-size:12px;fill:#1f2937}
.title{font-size:16px;font-weight:bold}
.muted{fill:#6b7280}
.edge{stroke:#94a3b8;stroke-opacity:0.35;stroke-width:0.6;fill:none}
.edge-hostile{stroke:#dc2626;stroke-opacity:0.5;stroke-width:0.8;fill:none}
.node{stroke:#ffffff;stroke-width:0.8}
.public{fill:#2563eb}
.private{fill:#d97706}
.hostile{fill:#dc2626}
.dead{fill:#ffffff;stroke:#9ca3af;stroke-width:1}
.frame{fill:#f8fafc;stroke:#e2e8f0}
.band{fill:#22c55e;fill-opacity:0.15}
.band-edge{stroke:#16a34a;stroke-dasharray:4 3;stroke-width:1}
.range{fill:#2563eb;fill-opacity:0.3}
.median{stroke:#1d4ed8;stroke-width:2;fill:none}
.axis{stroke:#6b7280;stroke-width:1}
.grid{stroke:#e5e7eb;stroke-width:1}
`

/** The class list of a node: its kind (hostile over private over public), then `dead` if it is not running. */
const classOf = (node: Drawable["graph"]["nodes"][number]): string =>
  `node ${node.hostile ? "hostile" : node.privateNode ? "private" : "public"}${node.alive ? "" : " dead"}`

const kindOf = (node: Drawable["graph"]["nodes"][number]): string =>
  [node.hostile ? "hostile" : node.privateNode ? "private" : "public", node.alive ? "running" : "stopped"].join(", ")

/**
 * The SVG document for a report: the network at the end and the connection counts per minute over
 * `band`. One `<circle>` per node of `report.graph` (and no other circle), one segment per edge
 * (`M x y L x y` in the edge paths), every text (points included) escaped.
 *
 * @example
 * ```ts
 * import { SimulationSvg } from "@effect-p2p/cli"
 * const svg = SimulationSvg.render(
 *   {
 *     summary: { peers: 2, minutes: 1, seed: 1, converged: true, connected: true, minConnections: 1, maxConnections: 1 },
 *     perMinute: [{ minute: 1, connections: { min: 1, median: 1, max: 1 } }],
 *     graph: {
 *       nodes: [
 *         { index: 0, point: "10.0.0.1:9732", privateNode: false, alive: true, hostile: false },
 *         { index: 1, point: "10.0.0.2:9732", privateNode: false, alive: true, hostile: false }
 *       ],
 *       edges: [[0, 1]]
 *     }
 *   },
 *   { minThreshold: 1, maxThreshold: 1 }
 * )
 * svg.startsWith("<?xml") // true
 * ```
 * @category encoding
 * @since 0.1.0
 */
export const render = (report: Drawable, band: Band): string => {
  const { nodes, edges } = report.graph
  const byIndex = new Map(nodes.map((node, position) => [node.index, position]))
  const links: Array<readonly [number, number]> = []
  for (const [a, b] of edges) {
    const pa = byIndex.get(a)
    const pb = byIndex.get(b)
    if (pa !== undefined && pb !== undefined) links.push([pa, pb])
  }
  const positions = layout(nodes.length, links)
  const inner = graphSide - 20
  const px = (p: { readonly x: number }) => margin + graphSide / 2 + p.x * inner
  const py = (p: { readonly y: number }) => headerHeight + graphSide / 2 + p.y * inner
  const radius = Math.max(1.5, Math.min(6, 60 / Math.sqrt(Math.max(nodes.length, 1))))

  const out: Array<string> = []
  out.push('<?xml version="1.0" encoding="UTF-8"?>')
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`
  )
  const s = report.summary
  const title = `effect-p2p simulate: ${s.peers} peers, ${s.minutes} virtual minutes, seed ${s.seed}`
  out.push(`<title>${escapeText(title)}</title>`)
  out.push(`<style type="text/css">${style}</style>`)
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`)
  out.push(`<text class="title" x="${margin}" y="26">${escapeText(title)}</text>`)
  const outcome = [
    s.converged ? "converged" : "not converged",
    s.connected ? "connected" : "not connected",
    `connections per running node ${s.minConnections} to ${s.maxConnections}`,
    `band [${band.minThreshold}, ${band.maxThreshold}]`
  ].join(" · ")
  out.push(`<text class="muted" x="${margin}" y="46">${escapeText(outcome)}</text>`)

  // The network.
  out.push(`<rect class="frame" x="${margin}" y="${headerHeight}" width="${graphSide}" height="${graphSide}"/>`)
  const hostileNode = (position: number) => nodes[position]!.hostile
  for (const [cls, pick] of [
    ["edge", (a: number, b: number) => !hostileNode(a) && !hostileNode(b)],
    ["edge-hostile", (a: number, b: number) => hostileNode(a) || hostileNode(b)]
  ] as const) {
    const segments = links
      .filter(([a, b]) => pick(a, b))
      .map(
        ([a, b]) =>
          `M${n1(px(positions[a]!))} ${n1(py(positions[a]!))}L${n1(px(positions[b]!))} ${n1(py(positions[b]!))}`
      )
    if (segments.length > 0) out.push(`<path class="${cls}" d="${segments.join("")}"/>`)
  }
  // Dead nodes first, so running ones are drawn over them.
  const order = nodes.map((_, position) => position).sort((a, b) => Number(nodes[a]!.alive) - Number(nodes[b]!.alive))
  for (const position of order) {
    const node = nodes[position]!
    const p = positions[position]!
    out.push(
      `<circle class="${classOf(node)}" cx="${n1(px(p))}" cy="${n1(py(p))}" r="${n1(radius)}"><title>${escapeText(
        `#${node.index} ${node.point} (${kindOf(node)})`
      )}</title></circle>`
    )
  }
  const legendY = headerHeight + graphSide + 18
  let legendX = margin
  for (const [cls, label] of [
    ["public", "public"],
    ["private", "private"],
    ["hostile", "hostile"],
    ["public dead", "stopped (churn)"]
  ] as const) {
    out.push(`<rect class="node ${cls}" x="${legendX}" y="${legendY - 9}" width="10" height="10" rx="5" ry="5"/>`)
    out.push(`<text x="${legendX + 15}" y="${legendY}">${escapeText(label)}</text>`)
    legendX += 30 + label.length * 7
  }
  out.push(
    `<text class="muted" x="${width - margin}" y="${legendY}" text-anchor="end">${escapeText(
      `${nodes.length} nodes, ${links.length} connections`
    )}</text>`
  )

  // The connection counts per minute.
  const minutes = report.perMinute
  const top = Math.max(band.maxThreshold, ...minutes.map((m) => m.connections.max), 1)
  const step = tickStep(top)
  const yMax = Math.ceil((top * 1.05) / step) * step
  const chartBottom = chartTop + chartHeight
  const cy = (value: number) => chartBottom - (value / yMax) * chartHeight
  const slot = (chartRight - chartLeft) / Math.max(minutes.length, 1)
  const cx = (i: number) => chartLeft + slot * (i + 0.5)
  out.push(
    `<text x="${margin}" y="${chartTop - 10}">${escapeText("connections per running node, each virtual minute")}</text>`
  )
  for (let tick = 0; tick <= yMax; tick += step) {
    out.push(
      `<line class="grid" x1="${chartLeft}" y1="${n1(cy(tick))}" x2="${chartRight}" y2="${n1(cy(tick))}"/>` +
        `<text class="muted" x="${chartLeft - 6}" y="${n1(cy(tick) + 4)}" text-anchor="end">${tick}</text>`
    )
  }
  const bandTop = cy(Math.min(band.maxThreshold, yMax))
  const bandBottom = cy(Math.max(band.minThreshold, 0))
  out.push(
    `<rect class="band" x="${chartLeft}" y="${n1(bandTop)}" width="${chartRight - chartLeft}" height="${n1(Math.max(bandBottom - bandTop, 0))}"/>`
  )
  for (const [value, label] of [
    [band.minThreshold, `min_threshold ${band.minThreshold}`],
    [band.maxThreshold, `max_threshold ${band.maxThreshold}`]
  ] as const) {
    out.push(
      `<line class="band-edge" x1="${chartLeft}" y1="${n1(cy(value))}" x2="${chartRight}" y2="${n1(cy(value))}"/>` +
        `<text class="muted" x="${chartRight - 4}" y="${n1(cy(value) - 4)}" text-anchor="end">${escapeText(label)}</text>`
    )
  }
  const barWidth = Math.max(slot * 0.6, 1)
  minutes.forEach((m, i) => {
    const { min, median, max } = m.connections
    out.push(
      `<rect class="range" x="${n1(cx(i) - barWidth / 2)}" y="${n1(cy(max))}" width="${n1(barWidth)}" height="${n1(Math.max(cy(min) - cy(max), 1))}"><title>${escapeText(
        `minute ${m.minute}: min ${min}, median ${median}, max ${max}`
      )}</title></rect>`
    )
  })
  if (minutes.length > 0) {
    const points = minutes.map((m, i) => `${n1(cx(i))},${n1(cy(m.connections.median))}`)
    // A single minute still shows its median: a short segment across its bar.
    const line =
      minutes.length === 1
        ? `${n1(cx(0) - barWidth / 2)},${n1(cy(minutes[0]!.connections.median))} ${n1(cx(0) + barWidth / 2)},${n1(cy(minutes[0]!.connections.median))}`
        : points.join(" ")
    out.push(`<polyline class="median" points="${line}"/>`)
  }
  out.push(`<line class="axis" x1="${chartLeft}" y1="${chartBottom}" x2="${chartRight}" y2="${chartBottom}"/>`)
  out.push(`<line class="axis" x1="${chartLeft}" y1="${chartTop}" x2="${chartLeft}" y2="${chartBottom}"/>`)
  const minuteStep = tickStep(minutes.length)
  minutes.forEach((m, i) => {
    if (i === 0 || (i + 1) % minuteStep === 0) {
      out.push(`<text class="muted" x="${n1(cx(i))}" y="${chartBottom + 16}" text-anchor="middle">${m.minute}</text>`)
    }
  })
  out.push(
    `<text class="muted" x="${(chartLeft + chartRight) / 2}" y="${chartBottom + 34}" text-anchor="middle">${escapeText(
      "virtual minute (bar: min to max, line: median; green: the maintenance band)"
    )}</text>`
  )
  out.push("</svg>")
  return `${out.join("\n")}\n`
}
