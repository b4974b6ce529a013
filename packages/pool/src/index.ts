/**
 * @effect-p2p/pool: many peers at once, as Octez's P2P layer does it (issue 20, being built).
 */
export {}
