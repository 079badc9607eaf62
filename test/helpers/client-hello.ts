/**
 * ClientHello records built field by field (RFC 8446 §4.1.2), for the server-name reader's tests and
 * for a relay test that sends one a byte at a time.
 */
export const u16 = (n: number) => Buffer.of(n >> 8, n & 0xff);
export const u24 = (n: number) => Buffer.of(n >> 16, (n >> 8) & 0xff, n & 0xff);
export const vec = (width: 1 | 2 | 3, body: Uint8Array) =>
  Buffer.concat([
    width === 1 ? Buffer.of(body.length) : width === 2 ? u16(body.length) : u24(body.length),
    body,
  ]);
export const extension = (type: number, data: Uint8Array) => Buffer.concat([u16(type), vec(2, data)]);
export const serverNameExtension = (name: string) =>
  extension(0, vec(2, Buffer.concat([Buffer.of(0), vec(2, Buffer.from(name, 'latin1'))])));

export interface Hello {
  sessionId: Uint8Array;
  suites: Uint8Array;
  before: Uint8Array[];
  name: string | undefined;
  after: Uint8Array[];
}

/** The handshake message of a ClientHello with these fields. */
export function helloMessage(h: Hello): Buffer {
  const extensions = [
    ...h.before,
    ...(h.name === undefined ? [] : [serverNameExtension(h.name)]),
    ...h.after,
  ];
  const body = Buffer.concat([
    Buffer.of(3, 3),
    Buffer.alloc(32, 0x5a),
    vec(1, h.sessionId),
    vec(2, h.suites),
    vec(1, Buffer.of(0)),
    vec(2, Buffer.concat(extensions)),
  ]);
  return Buffer.concat([Buffer.of(1), vec(3, body)]);
}

export const record = (message: Uint8Array) => Buffer.concat([Buffer.of(0x16, 3, 1), vec(2, message)]);

/** A whole first record of a minimal ClientHello naming `name`. */
export function helloNaming(name: string): Buffer {
  return record(
    helloMessage({ sessionId: Buffer.alloc(0), suites: Buffer.of(0x13, 1), before: [], name, after: [] }),
  );
}
