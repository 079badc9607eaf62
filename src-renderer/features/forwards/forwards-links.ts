/**
 * What Forwards may be opened for (lib/navigation.ts, ADR 0088): a peer card's "Forward a port…" opens
 * it with that peer chosen in "Add forward". No link takes parameters here.
 */
declare module '../../lib/navigation.js' {
  interface Intents {
    forwards: {
      /** "Add forward" open, through this peer (fingerprint). */
      forwardVia?: string;
    };
  }
}

export {};
