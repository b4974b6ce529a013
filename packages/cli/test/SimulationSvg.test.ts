import { describe, expect, it } from "vitest"
import * as Xml from "../../../test/support/xml.ts"
import * as SimulationSvg from "../src/SimulationSvg.ts"

type Node = SimulationSvg.Drawable["graph"]["nodes"][number]

const node = (index: number, extra: Partial<Node> = {}): Node => ({
  index,
  point: `10.0.${Math.floor(index / 256)}.${index % 256}:9732`,
  privateNode: false,
  alive: true,
  hostile: false,
  ...extra
})

/** A ring of `count` nodes with chords, and `minutes` minutes of made-up counts. */
const report = (
  count: number,
  minutes: number,
  nodes: ReadonlyArray<Node> = Array.from({ length: count }, (_, i) => node(i))
): SimulationSvg.Drawable => {
  const edges: Array<readonly [number, number]> = []
  for (let i = 0; i < count; i++) {
    edges.push([i, (i + 1) % count])
    if (count > 6 && i % 3 === 0) edges.push([i, (i + 5) % count])
  }
  return {
    summary: {
      peers: count,
      minutes,
      seed: 7,
      converged: false,
      connected: true,
      minConnections: 2,
      maxConnections: 4
    },
    perMinute: Array.from({ length: minutes }, (_, i) => ({
      minute: i + 1,
      connections: { min: i, median: i + 1, max: 2 * i + 2 }
    })),
    graph: { nodes, edges }
  }
}

const band = { minThreshold: 3, maxThreshold: 9 }

/** The segments drawn in the edge paths: one `M` command per edge. */
const segmentsOf = (elements: ReadonlyArray<Xml.Element>): number =>
  elements
    .filter((e) => e.name === "path" && (e.attributes.get("class") ?? "").startsWith("edge"))
    .map((e) => (e.attributes.get("d") ?? "").split("M").length - 1)
    .reduce((a, b) => a + b, 0)

describe("SimulationSvg.render", () => {
  it("is well-formed SVG with one circle per node, one segment per edge and one bar per minute", () => {
    const input = report(30, 12)
    const svg = SimulationSvg.render(input, band)
    const elements = Xml.parse(svg)
    expect(elements[0]!.name).toBe("svg")
    expect(elements[0]!.attributes.get("xmlns")).toBe("http://www.w3.org/2000/svg")
    expect(elements[0]!.attributes.get("version")).toBe("1.1")
    const circles = elements.filter((e) => e.name === "circle")
    expect(circles).toHaveLength(30)
    expect(segmentsOf(elements)).toBe(input.graph.edges.length)
    expect(elements.filter((e) => e.name === "rect" && e.attributes.get("class") === "range")).toHaveLength(12)
    // Nothing outside the document: no script, no external reference.
    expect(elements.some((e) => e.name === "script" || e.name === "image" || e.name === "use")).toBe(false)
    expect(svg).not.toMatch(/href=/)
  })

  it("draws every coordinate inside the picture", () => {
    const elements = Xml.parse(SimulationSvg.render(report(200, 3), band))
    const root = elements[0]!
    const width = Number(root.attributes.get("width"))
    const height = Number(root.attributes.get("height"))
    for (const circle of elements.filter((e) => e.name === "circle")) {
      const cx = Number(circle.attributes.get("cx"))
      const cy = Number(circle.attributes.get("cy"))
      expect(cx).toBeGreaterThan(0)
      expect(cx).toBeLessThan(width)
      expect(cy).toBeGreaterThan(0)
      expect(cy).toBeLessThan(height)
    }
  })

  it("tells private, hostile and stopped nodes apart, and has a legend for each", () => {
    const nodes = [
      node(0),
      node(1, { privateNode: true }),
      node(2, { hostile: true }),
      node(3, { alive: false }),
      node(4, { privateNode: true, alive: false })
    ]
    const elements = Xml.parse(SimulationSvg.render(report(5, 2, nodes), band))
    const classes = elements.filter((e) => e.name === "circle").map((e) => e.attributes.get("class"))
    // Stopped nodes are drawn first (under the running ones).
    expect(classes).toEqual(["node public dead", "node private dead", "node public", "node private", "node hostile"])
    const legend = elements.filter((e) => e.name === "text").map((e) => e.text)
    for (const label of ["public", "private", "hostile", "stopped (churn)"]) expect(legend).toContain(label)
    // Edges touching the hostile node are drawn apart.
    const hostileEdges = elements.find((e) => e.attributes.get("class") === "edge-hostile")
    expect((hostileEdges?.attributes.get("d") ?? "").split("M").length - 1).toBe(2)
  })

  it("escapes every text: a point with markup comes back as written", () => {
    const nasty = `<script>&"x'</script>]]>`
    const nodes = [node(0, { point: nasty }), node(1)]
    const svg = SimulationSvg.render(report(2, 1, nodes), band)
    expect(svg).not.toContain("<script>")
    const titles = Xml.parse(svg)
      .filter((e) => e.name === "title" && e.parent === "circle")
      .map((e) => e.text)
    expect(titles).toContain(`#0 ${nasty} (public, running)`)
  })

  it("skips edges naming unknown nodes, and matches nodes by index, not position", () => {
    const nodes = [node(10), node(20), node(30)]
    const input: SimulationSvg.Drawable = {
      ...report(3, 1, nodes),
      graph: {
        nodes,
        edges: [
          [10, 20],
          [20, 30],
          [30, 99]
        ]
      }
    }
    const elements = Xml.parse(SimulationSvg.render(input, band))
    expect(segmentsOf(elements)).toBe(2)
  })

  it("gives the same bytes for the same report", () => {
    expect(SimulationSvg.render(report(40, 5), band)).toBe(SimulationSvg.render(report(40, 5), band))
  })

  it("handles an empty network and no minutes", () => {
    const elements = Xml.parse(SimulationSvg.render(report(0, 0), band))
    expect(elements.filter((e) => e.name === "circle")).toHaveLength(0)
    expect(segmentsOf(elements)).toBe(0)
  })

  it("draws the band [min_threshold, max_threshold] with its labels", () => {
    const elements = Xml.parse(SimulationSvg.render(report(10, 4), { minThreshold: 23, maxThreshold: 84 }))
    const bandRect = elements.find((e) => e.attributes.get("class") === "band")!
    expect(Number(bandRect.attributes.get("height"))).toBeGreaterThan(0)
    const texts = elements.filter((e) => e.name === "text").map((e) => e.text)
    expect(texts).toContain("min_threshold 23")
    expect(texts).toContain("max_threshold 84")
  })
})

describe("SimulationSvg.layout", () => {
  it.each([0, 1, 2, 50])("places %i nodes inside the unit square, at distinct places", (count) => {
    const edges: Array<readonly [number, number]> = []
    for (let i = 1; i < count; i++) edges.push([0, i])
    const positions = SimulationSvg.layout(count, edges)
    expect(positions).toHaveLength(count)
    for (const p of positions) {
      expect(Number.isFinite(p.x) && Number.isFinite(p.y)).toBe(true)
      expect(Math.abs(p.x)).toBeLessThanOrEqual(0.5 + 1e-9)
      expect(Math.abs(p.y)).toBeLessThanOrEqual(0.5 + 1e-9)
    }
    expect(new Set(positions.map((p) => `${p.x.toFixed(4)},${p.y.toFixed(4)}`)).size).toBe(count)
  })

  it("puts linked nodes closer than unlinked ones", () => {
    // Two cliques of 8, joined by one edge: the mean distance inside a clique is below the mean across.
    const edges: Array<readonly [number, number]> = []
    for (const base of [0, 8])
      for (let i = 0; i < 8; i++) for (let j = i + 1; j < 8; j++) edges.push([base + i, base + j])
    edges.push([0, 8])
    const p = SimulationSvg.layout(16, edges)
    const distance = (a: number, b: number) => Math.hypot(p[a]!.x - p[b]!.x, p[a]!.y - p[b]!.y)
    let inside = 0
    let across = 0
    for (let i = 0; i < 8; i++)
      for (let j = 0; j < 8; j++) {
        if (i < j) inside += distance(i, j) + distance(8 + i, 8 + j)
        across += distance(i, 8 + j)
      }
    expect(inside / 56).toBeLessThan(across / 64)
  })
})

describe("Xml.parse (the checker the SVG tests rely on)", () => {
  it.each([
    ["<a><b></a></b>", /closes/],
    ["<a>", /not closed/],
    ["<a/><b/>", /second root/],
    ['<a x="1" x="2"/>', /repeated/],
    ["<a x=1/>", /unquoted/],
    ['<a x="<"/>', /"<"/],
    ["<a>&</a>", /bare &/],
    ["<a>&nbsp;</a>", /unknown entity/],
    ["text<a/>", /outside the root/],
    ["<a><!-- x --</a>", /unterminated comment/],
    ["", /no root/]
  ])("refuses %j", (source, message) => {
    expect(() => Xml.parse(source)).toThrow(message)
  })

  it("reads a small document", () => {
    const elements = Xml.parse(
      `<?xml version="1.0"?>\n<a k='v &amp; w'><!-- c --><b>x &lt; y<![CDATA[<z>]]></b><c/></a>`
    )
    expect(elements.map((e) => e.name)).toEqual(["a", "b", "c"])
    expect(elements[0]!.attributes.get("k")).toBe("v & w")
    expect(elements[1]!.text).toBe("x < y<z>")
  })
})
