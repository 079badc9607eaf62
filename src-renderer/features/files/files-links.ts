/**
 * What Files may be opened for (lib/navigation.ts, ADR 0088): the dialog that sends files to a peer,
 * open. No link takes parameters here.
 */
declare module '../../lib/navigation.js' {
  interface Intents {
    files: {
      /** The peer (fingerprint) to send files to, its dialog open. */
      sendFilesTo?: string;
    };
  }
}

export {};
