/**
 * How a relay tells whoever runs it about the circuits it carries (a node acting as relay lists them
 * among its live connections, connections/connection-table.ts): each circuit between two nodes as it
 * opens, its payload bytes, its end, and a way to cut it. A plain relay has no observer.
 */

/** What the observer keeps for one circuit. */
export interface ObservedCircuit {
  /** Payload bytes from the node that opened the circuit to its target. */
  bytesOut(n: number): void;
  /** Payload bytes from the target back to the opener. */
  bytesIn(n: number): void;
  /** The circuit is gone (closed by an end, or an end's connection went). */
  end(): void;
}

export interface CircuitObserver {
  /**
   * A circuit opened from node `opener` to node `target` (node IDs). `close` cuts it: both ends get a
   * CLOSE with `reason`. Returns undefined for a circuit the observer does not follow.
   */
  opened(opener: string, target: string, close: (reason: string) => void): ObservedCircuit | undefined;
  /**
   * A splice (splices.ts) started piping two nodes' TCP connections for one of their circuits, which
   * usually closes then: the link goes on over the splice. The relay cannot tell which connection is
   * whose, so `bytesOut` counts what the connection that joined first sent, `bytesIn` the other's.
   * `close` destroys both connections.
   */
  spliced?(a: string, b: string, close: () => void): ObservedCircuit | undefined;
}
