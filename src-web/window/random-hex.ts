/** `bytes` random bytes as hex, from WebCrypto (IDs the window shows; nothing secret). */
export function randomHex(bytes: number): string {
  const out = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(out, (b) => b.toString(16).padStart(2, '0')).join('');
}
