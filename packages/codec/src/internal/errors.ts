/** Conversions from the internal thrown failures to the public tagged errors. */
import { DecodeError, EncodeError } from "../CodecError.ts"
import { asDecodeFailure, asEncodeFailure } from "./cursor.ts"

export const toDecodeError = (thrown: unknown, offset: number, base = 0): DecodeError => {
  const f = asDecodeFailure(thrown, offset)
  const fields = { reason: f.reason, path: f.path, offset: base + f.offset, detail: f.detail }
  return new DecodeError(f.issue === undefined ? fields : { ...fields, issue: f.issue })
}

export const toEncodeError = (thrown: unknown): EncodeError => {
  const f = asEncodeFailure(thrown)
  const fields = { reason: f.reason, path: f.path, detail: f.detail }
  return new EncodeError(f.issue === undefined ? fields : { ...fields, issue: f.issue })
}
