/**
 * A small XML well-formedness checker for the tests of generated SVG: one root element, every tag
 * closed in order, attributes quoted and not repeated, `&` only in entity or character references,
 * no `<` in attribute values, comments / CDATA / processing instructions terminated. It throws an
 * Error naming the offset of the first fault, and returns every element with its attributes and
 * the text directly inside it (entities decoded), so a test can count and inspect them.
 *
 * Not a validating parser: no DTD (a DOCTYPE is refused), no namespace checks.
 */

export interface Element {
  readonly name: string
  readonly attributes: ReadonlyMap<string, string>
  /** The character data directly inside the element (not its descendants'), entities decoded. */
  text: string
  /** The name of the enclosing element, or undefined for the root. */
  readonly parent: string | undefined
}

const isNameStart = (c: string) => /[A-Za-z_:]/.test(c)
const isNameChar = (c: string) => /[A-Za-z0-9._:-]/.test(c)
const isSpace = (c: string | undefined) => c === " " || c === "\t" || c === "\n" || c === "\r"

const predefined: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" }

/** Decodes the references in `raw` (text or an attribute value), refusing a bare `&` or unknown entity. */
const decode = (raw: string, at: number): string => {
  let out = ""
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!
    if (c !== "&") {
      out += c
      continue
    }
    const end = raw.indexOf(";", i)
    if (end < 0) throw new Error(`bare & at ${at + i}`)
    const name = raw.slice(i + 1, end)
    if (name.startsWith("#x") && /^#x[0-9A-Fa-f]+$/.test(name))
      out += String.fromCodePoint(Number.parseInt(name.slice(2), 16))
    else if (name.startsWith("#") && /^#[0-9]+$/.test(name)) out += String.fromCodePoint(Number(name.slice(1)))
    else if (predefined[name] !== undefined) out += predefined[name]
    else throw new Error(`unknown entity &${name}; at ${at + i}`)
    i = end
  }
  return out
}

/** Checks that `source` is a well-formed XML document and returns its elements in document order. */
export const parse = (source: string): Array<Element> => {
  const elements: Array<Element> = []
  const open: Array<Element> = []
  let roots = 0
  let i = 0
  const expect = (text: string) => {
    if (!source.startsWith(text, i)) throw new Error(`expected ${JSON.stringify(text)} at ${i}`)
    i += text.length
  }
  const skipSpace = () => {
    while (isSpace(source[i])) i++
  }
  const readName = (): string => {
    const start = i
    if (i >= source.length || !isNameStart(source[i]!)) throw new Error(`expected a name at ${i}`)
    while (i < source.length && isNameChar(source[i]!)) i++
    return source.slice(start, i)
  }
  const until = (terminator: string, what: string): string => {
    const end = source.indexOf(terminator, i)
    if (end < 0) throw new Error(`unterminated ${what} from ${i}`)
    const body = source.slice(i, end)
    i = end + terminator.length
    return body
  }

  if (source.startsWith("<?xml", 0)) {
    i = 5
    until("?>", "XML declaration")
  }
  while (i < source.length) {
    if (source[i] !== "<") {
      const start = i
      while (i < source.length && source[i] !== "<") i++
      const raw = source.slice(start, i)
      if (raw.includes("]]>")) throw new Error(`"]]>" in text at ${start}`)
      const text = decode(raw, start)
      const parent = open.at(-1)
      if (parent === undefined) {
        if (text.trim() !== "") throw new Error(`text outside the root element at ${start}`)
      } else parent.text += text
      continue
    }
    if (source.startsWith("<!--", i)) {
      i += 4
      const body = until("-->", "comment")
      if (body.includes("--")) throw new Error(`"--" inside a comment before ${i}`)
      continue
    }
    if (source.startsWith("<![CDATA[", i)) {
      if (open.length === 0) throw new Error(`CDATA outside the root element at ${i}`)
      i += 9
      open.at(-1)!.text += until("]]>", "CDATA section")
      continue
    }
    if (source.startsWith("<?", i)) {
      i += 2
      if (readName().toLowerCase() === "xml") throw new Error(`XML declaration not at the start, before ${i}`)
      until("?>", "processing instruction")
      continue
    }
    if (source.startsWith("<!", i)) throw new Error(`unsupported markup declaration at ${i}`)
    if (source.startsWith("</", i)) {
      i += 2
      const name = readName()
      skipSpace()
      expect(">")
      const top = open.pop()
      if (top === undefined || top.name !== name) {
        throw new Error(`</${name}> at ${i} closes ${top === undefined ? "nothing" : `<${top.name}>`}`)
      }
      continue
    }
    i += 1
    const name = readName()
    const attributes = new Map<string, string>()
    for (;;) {
      const hadSpace = isSpace(source[i])
      skipSpace()
      if (source.startsWith("/>", i) || source[i] === ">") break
      if (!hadSpace) throw new Error(`expected a space before an attribute at ${i}`)
      const attribute = readName()
      skipSpace()
      expect("=")
      skipSpace()
      const quote = source[i]
      if (quote !== '"' && quote !== "'") throw new Error(`unquoted value of ${attribute} at ${i}`)
      i += 1
      const valueAt = i
      const raw = until(quote, `value of ${attribute}`)
      if (raw.includes("<")) throw new Error(`"<" in the value of ${attribute} at ${valueAt}`)
      if (attributes.has(attribute)) throw new Error(`attribute ${attribute} repeated at ${valueAt}`)
      attributes.set(attribute, decode(raw, valueAt))
    }
    if (open.length === 0) {
      roots += 1
      if (roots > 1) throw new Error(`a second root element <${name}> at ${i}`)
    }
    const element: Element = { name, attributes, text: "", parent: open.at(-1)?.name }
    elements.push(element)
    if (source.startsWith("/>", i)) i += 2
    else {
      i += 1
      open.push(element)
    }
  }
  if (open.length > 0) throw new Error(`<${open.at(-1)!.name}> not closed`)
  if (roots === 0) throw new Error("no root element")
  return elements
}
