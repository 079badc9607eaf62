/**
 * What an identity signature covers and how long it is, apart from who signs (ADR 0116): the agent
 * signs with node:crypto (signature.ts), the browser node with WebCrypto, both over these bytes.
 */

/** Size of an identity signature on the wire (P-256 r‖s, IEEE P1363: WebCrypto's native ECDSA form). */
export const SIGNATURE_BYTES = 64;

const encoder = new TextEncoder();

/** The signed message: `context ‖ 0 ‖ data`. The context separates uses so one signature cannot serve another. */
export function signedInput(context: string, data: Uint8Array): Uint8Array {
  const head = encoder.encode(`${context}\0`);
  const out = new Uint8Array(head.length + data.length);
  out.set(head, 0);
  out.set(data, head.length);
  return out;
}
