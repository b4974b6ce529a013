/**
 * Breadth-first search on an undirected graph given as adjacency lists (node `k`'s neighbours are
 * `adjacency[k]`): the number of connected components and the diameter, for the simulator's
 * statistics.
 *
 * @since 0.1.0
 */

/**
 * Distances from `source` (-1: unreachable) and the largest one.
 *
 * @category combinators
 * @since 0.1.0
 * @example
 * ```ts
 * import { Graph } from "@effect-p2p/pool"
 * Graph.bfs([[1], [0, 2], [1]], 0) // { distances: Int32Array [0, 1, 2], eccentricity: 2, reached: 3 }
 * ```
 */
export const bfs = (
  adjacency: ReadonlyArray<ReadonlyArray<number>>,
  source: number
): { readonly distances: Int32Array; readonly eccentricity: number; readonly reached: number } => {
  const distances = new Int32Array(adjacency.length).fill(-1)
  const queue = new Int32Array(adjacency.length)
  let head = 0
  let tail = 0
  distances[source] = 0
  queue[tail++] = source
  let eccentricity = 0
  while (head < tail) {
    const k = queue[head++]!
    const d = distances[k]!
    if (d > eccentricity) eccentricity = d
    for (const j of adjacency[k]!) {
      if (distances[j] === -1) {
        distances[j] = d + 1
        queue[tail++] = j
      }
    }
  }
  return { distances, eccentricity, reached: tail }
}

/**
 * Connected components (0 for an empty graph).
 *
 * @category combinators
 * @since 0.1.0
 * @example
 * ```ts
 * import { Graph } from "@effect-p2p/pool"
 * Graph.components([[1], [0], []]) // 2
 * ```
 */
export const components = (adjacency: ReadonlyArray<ReadonlyArray<number>>): number => {
  const seen = new Uint8Array(adjacency.length)
  let count = 0
  for (let s = 0; s < adjacency.length; s++) {
    if (seen[s] === 1) continue
    count++
    const { distances } = bfs(adjacency, s)
    for (let k = 0; k < distances.length; k++) if (distances[k] !== -1) seen[k] = 1
  }
  return count
}

/**
 * The longest shortest path of a connected graph (a BFS from every node: O(N·(N+E))); `null` when
 * the graph is not connected or empty.
 *
 * @category combinators
 * @since 0.1.0
 * @example
 * ```ts
 * import { Graph } from "@effect-p2p/pool"
 * Graph.diameter([[1], [0, 2], [1]]) // 2
 * ```
 */
export const diameter = (adjacency: ReadonlyArray<ReadonlyArray<number>>): number | null => {
  if (adjacency.length === 0) return null
  let longest = 0
  for (let s = 0; s < adjacency.length; s++) {
    const { eccentricity, reached } = bfs(adjacency, s)
    if (reached < adjacency.length) return null
    if (eccentricity > longest) longest = eccentricity
  }
  return longest
}
