/**
 * Checks a host given on the command line before any socket is opened, so that a typo is reported
 * as bad input (exit 1) instead of surfacing later as a network error (exit 2).
 *
 * @since 0.1.0
 */
import * as Net from "node:net"
import { Result } from "effect"

/** RFC 1123 host name labels: letters, digits and inner hyphens, 1 to 63 characters. */
const label = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i

/**
 * The host if it is an IPv4 or IPv6 address or a well-formed host name (RFC 1123: dot-separated
 * labels, at most 253 characters, the last label not all digits so that `1.2.3.4.5` or `256.1.1.1`
 * are not taken for names); otherwise a sentence saying why not. Whether a name resolves is the
 * network's business, not checked here.
 *
 * @example
 * ```ts
 * import { Host } from "@effect-p2p/cli"
 * Host.validate("127.0.0.1") // Result.succeed("127.0.0.1")
 * Host.validate("300.1.1.1") // Result.fail('"300.1.1.1" is not an IP address or a host name')
 * ```
 * @category decoding
 * @since 0.1.0
 */
export const validate = (host: string): Result.Result<string, string> => {
  if (Net.isIP(host) !== 0) return Result.succeed(host)
  const labels = host.endsWith(".") ? host.slice(0, -1).split(".") : host.split(".")
  const wellFormed =
    host.length > 0 &&
    host.length <= 253 &&
    labels.every((part) => label.test(part)) &&
    !/^\d+$/.test(labels[labels.length - 1] ?? "")
  return wellFormed ? Result.succeed(host) : Result.fail(`${JSON.stringify(host)} is not an IP address or a host name`)
}
