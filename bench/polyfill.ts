/**
 * js-libp2p 3 calls `Promise.withResolvers`, which Node 20 lacks. Imported first by the benchmark
 * processes only; the libraries never see it.
 */
const P = Promise as unknown as { withResolvers?: unknown }
if (typeof P.withResolvers !== "function") {
  P.withResolvers = <T>() => {
    let resolve!: (value: T | PromiseLike<T>) => void
    let reject!: (reason?: unknown) => void
    const promise = new Promise<T>((res, rej) => {
      resolve = res
      reject = rej
    })
    return { promise, resolve, reject }
  }
}

export {}
