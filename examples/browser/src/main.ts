/**
 * The page: wires the form to `identity.ts` and `session.ts`, draws the steps, round trips and a
 * live bandwidth chart. Also exposes `window.p2p` so that a test (or the console) drives the same
 * code the buttons do.
 */
import * as PeerId from "@effect-p2p/crypto/PeerId"
import * as Identity from "./identity.ts"
import * as Session from "./session.ts"

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T
const input = (id: string) => $<HTMLInputElement>(id)

let identityJson: string | null = Identity.stored()

const showIdentity = async (json: string | null) => {
  if (json === null) return
  try {
    $("identity-peer").textContent = PeerId.toBase58((await Identity.parse(json)).peerId)
  } catch (error) {
    $("identity-peer").textContent = `invalid: ${String(error)}`
  }
}

const useIdentity = async (json: string) => {
  await Identity.parse(json) // refuses a bad file before it is stored
  identityJson = json
  Identity.store(json)
  await showIdentity(json)
}

const generateIdentity = async (difficulty: number): Promise<string> => {
  const progress = $<HTMLProgressElement>("pow-progress")
  const status = $("pow-status")
  status.textContent = "searching…"
  const started = performance.now()
  const json = await Identity.generate(difficulty, (attempts, expected) => {
    progress.value = expected > 0 ? Math.min(attempts / expected, 1) : 0
    status.textContent = `${attempts.toLocaleString()} stamps tried (about ${Math.round(expected).toLocaleString()} expected)`
  })
  progress.value = 1
  status.textContent = `found in ${((performance.now() - started) / 1000).toFixed(1)} s`
  await useIdentity(json)
  return json
}

// The chart: bytes per second in and out, from the totals' growth between two Stat steps.
const samples: Array<{ readonly t: number; readonly inflow: number; readonly outflow: number }> = []
let last: { readonly t: number; readonly sent: number; readonly recv: number } | undefined
const sample = (stat: { readonly totalSent: number; readonly totalRecv: number }) => {
  const t = performance.now()
  if (last !== undefined && t > last.t) {
    const seconds = (t - last.t) / 1000
    samples.push({ t, inflow: (stat.totalRecv - last.recv) / seconds, outflow: (stat.totalSent - last.sent) / seconds })
  }
  last = { t, sent: stat.totalSent, recv: stat.totalRecv }
}
const draw = () => {
  const canvas = $<HTMLCanvasElement>("chart")
  const g = canvas.getContext("2d")
  if (g === null) return
  g.clearRect(0, 0, canvas.width, canvas.height)
  const now = performance.now()
  const recent = samples.filter((s) => now - s.t <= 30_000)
  const top = Math.max(1, ...recent.map((s) => Math.max(s.inflow, s.outflow)))
  g.fillStyle = "#666"
  g.font = "11px monospace"
  g.fillText(`${Math.round(top).toLocaleString()} B/s`, 4, 12)
  for (const [key, color] of [
    ["inflow", "#1f77b4"],
    ["outflow", "#d62728"]
  ] as const) {
    g.strokeStyle = color
    g.fillStyle = color
    g.beginPath()
    recent.forEach((s, i) => {
      const x = canvas.width - ((now - s.t) / 30_000) * canvas.width
      const y = canvas.height - (s[key] / top) * (canvas.height - 16)
      g.fillRect(x - 2, y - 2, 4, 4)
      if (i === 0) g.moveTo(x, y)
      else g.lineTo(x, y)
    })
    g.stroke()
  }
}

const onStep = (step: Session.Step) => {
  const steps = $("steps")
  const item = (text: string, ok = true) => {
    const li = document.createElement("li")
    li.className = ok ? "ok" : "failed"
    li.textContent = text
    steps.append(li)
  }
  switch (step._tag) {
    case "Opening":
      last = undefined
      return item(`opening ${step.url}`)
    case "Open":
      return item("WebSocket open; sending our connection message (cleartext), then metadata (encrypted)")
    case "Authenticated":
      $("peer-id").textContent = step.peerId
      return item(`authenticated ${step.peerId} (chain ${step.chainName})`)
    case "Accepted":
      $("version").textContent = step.version
      return item(`accepted: Ack both ways, version ${step.version}`)
    case "Sent":
      $("sent").textContent = String(Number($("sent").textContent) + 1)
      return
    case "Echoed": {
      $("received").textContent = String(Number($("received").textContent) + 1)
      const row = document.createElement("tr")
      row.innerHTML = `<td>${step.size.toLocaleString()} B</td><td>${step.rttMs.toFixed(1)} ms</td>`
      $("rtts").append(row)
      return
    }
    case "Stat":
      $("total-sent").textContent = step.stat.totalSent.toLocaleString()
      $("total-recv").textContent = step.stat.totalRecv.toLocaleString()
      sample(step.stat)
      return draw()
    case "Failed":
      return item(`${step.error}: ${step.message}`, false)
    case "Closed":
      return item("closed")
  }
}

export interface RunOptions {
  readonly url: string
  readonly expectedPeerId?: string | undefined
  readonly expectedPow: number
  readonly chainName: string
  readonly sizes: ReadonlyArray<number>
  /** identity.json text; default: the stored identity. */
  readonly identity?: string | undefined
}

const run = async (options: RunOptions): Promise<Session.Report> => {
  const json = options.identity ?? identityJson
  if (json === null || json === undefined) {
    return { ok: false, steps: [], echoed: [], error: "NoIdentity", message: "generate or load an identity first" }
  }
  $("steps").replaceChildren()
  $("rtts").replaceChildren()
  $("sent").textContent = "0"
  $("received").textContent = "0"
  const identity = await Identity.parse(json)
  return Session.run({ ...options, identity, onStep })
}

const formOptions = (): RunOptions => ({
  url: input("url").value.trim(),
  expectedPeerId: input("peer").value.trim() || undefined,
  expectedPow: Number(input("pow").value),
  chainName: input("chain").value.trim(),
  sizes: input("sizes")
    .value.split(",")
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n >= 0)
})

// Query parameters fill the form: ?url=ws://…&peer=idt…&pow=26&chain=TEZOS_MAINNET&difficulty=26
const params = new URLSearchParams(location.search)
for (const [param, id] of [
  ["url", "url"],
  ["peer", "peer"],
  ["pow", "pow"],
  ["chain", "chain"],
  ["difficulty", "difficulty"]
] as const) {
  const value = params.get(param)
  if (value !== null) input(id).value = value
}

$("generate").addEventListener("click", () => {
  generateIdentity(Number(input("difficulty").value)).catch((error) => {
    $("pow-status").textContent = String(error)
  })
})
$("export").addEventListener("click", () => {
  if (identityJson !== null) Identity.download(identityJson)
})
input("load").addEventListener("change", async () => {
  const file = input("load").files?.[0]
  if (file !== undefined) {
    await useIdentity(await file.text()).catch((error) => {
      $("identity-peer").textContent = `refused: ${String(error)}`
    })
  }
})
$("connect").addEventListener("click", () => {
  void run(formOptions())
})
void showIdentity(identityJson)

declare global {
  interface Window {
    p2p: {
      generateIdentity: typeof generateIdentity
      useIdentity: typeof useIdentity
      run: typeof run
    }
  }
}
window.p2p = { generateIdentity, useIdentity, run }
