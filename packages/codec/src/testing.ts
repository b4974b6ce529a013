/**
 * Hooks for tests and benchmarks, kept out of the documented API: they choose between the codec's
 * two implementations of the same behaviour so that each can be tested and measured.
 *
 * @since 0.2.0
 */
import { forceCodegen } from "./internal/structCode.ts"

/**
 * Runs `build` with `Encoding.struct` generating its code (`true`, the default where `new Function` is
 * allowed) or using its generic loops (`false`, what runs under a CSP without `unsafe-eval`). The
 * choice is made when a struct is built, so the encodings built inside keep it.
 *
 * @example
 * ```ts
 * import { Encoding } from "@effect-p2p/codec"
 * import { withStructCodegen } from "@effect-p2p/codec/testing"
 * const generic = withStructCodegen(false, () => Encoding.struct({ a: Encoding.uint8 }))
 * ```
 *
 * @category testing
 * @since 0.2.0
 */
export const withStructCodegen = <A>(enabled: boolean, build: () => A): A => {
  forceCodegen(enabled)
  try {
    return build()
  } finally {
    forceCodegen(undefined)
  }
}
