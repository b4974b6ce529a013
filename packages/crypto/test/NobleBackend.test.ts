import { CryptoBackend } from "@effect-p2p/crypto"
import { backendSuite } from "./backendSuite.ts"

backendSuite("noble", CryptoBackend.layerNoble)
