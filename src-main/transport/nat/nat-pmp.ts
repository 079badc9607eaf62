/**
 * A strict NAT-PMP client (RFC 6886) for the two requests a port mapping needs: the external address and
 * a TCP mapping (a lifetime of 0 removes it). Each request has a UDP socket of its own on an ephemeral
 * port, connected to the gateway's port 5351, so the kernel hands it only what the gateway sends; every
 * answer is still checked (sender, length before each read, version, opcode) and anything else is
 * dropped and counted, never thrown: a short or forged packet from the router, a LAN host or another
 * local user cannot end the process. Unlike the well-known client port 5350, nothing here listens where
 * another host knows to aim.
 */
import { createSocket } from 'node:dgram';

/** The gateway's NAT-PMP port (RFC 6886 §3.1). */
export const NAT_PMP_SERVER_PORT = 5351;
/** The first retransmission interval, in ms (RFC 6886 §3.1), doubled after each. */
export const NAT_PMP_FIRST_RETRY_MS = 250;

const OP_EXTERNAL_ADDRESS = 0;
const OP_MAP_TCP = 2;
/** A reply's opcode is the request's plus 128. */
const REPLY_BIT = 128;
/** Header of every reply: version, opcode, result code, seconds since the gateway's epoch. */
const HEADER_BYTES = 8;
const EXTERNAL_ADDRESS_REPLY_BYTES = 12;
const MAP_REPLY_BYTES = 16;

const RESULT_TEXT: Record<number, string> = {
  1: 'unsupported version',
  2: 'not authorized or refused (mapping switched off on the router)',
  3: 'network failure (the router has no external address)',
  4: 'out of resources (no ports left)',
  5: 'unsupported opcode',
};

export type NatPmpRequest =
  | { op: 'external-address' }
  | { op: 'map-tcp'; internalPort: number; externalPort: number; lifetimeSeconds: number };

export type NatPmpAnswer =
  | { kind: 'external-address'; address: string }
  | { kind: 'mapped'; internalPort: number; externalPort: number; lifetimeSeconds: number };

/** What one datagram means for the request in flight: an answer, the router's refusal, or nothing. */
export type NatPmpDecoded =
  | { kind: 'answer'; answer: NatPmpAnswer }
  | { kind: 'refused'; resultCode: number; message: string }
  | { kind: 'drop'; why: string };

function opcode(request: NatPmpRequest): number {
  return request.op === 'external-address' ? OP_EXTERNAL_ADDRESS : OP_MAP_TCP;
}

/** The request's bytes. Ports and lifetime are taken as given (callers pass valid numbers). */
export function encodeNatPmpRequest(request: NatPmpRequest): Buffer {
  if (request.op === 'external-address') return Buffer.from([0, OP_EXTERNAL_ADDRESS]);
  const b = Buffer.alloc(12);
  b.writeUInt8(0, 0);
  b.writeUInt8(OP_MAP_TCP, 1);
  b.writeUInt16BE(request.internalPort, 4);
  b.writeUInt16BE(request.externalPort, 6);
  b.writeUInt32BE(request.lifetimeSeconds, 8);
  return b;
}

/**
 * What `bytes` says in answer to `request`. Pure; never throws: each length is checked before it is read.
 * A mapping reply for another internal port answers another request (or none) and is dropped.
 */
export function decodeNatPmpReply(bytes: Uint8Array, request: NatPmpRequest): NatPmpDecoded {
  if (bytes.length < HEADER_BYTES)
    return { kind: 'drop', why: `${bytes.length} bytes, shorter than a header` };
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.readUInt8(0) !== 0) return { kind: 'drop', why: `version ${b.readUInt8(0)}` };
  const op = b.readUInt8(1);
  if (op !== REPLY_BIT + opcode(request)) return { kind: 'drop', why: `opcode ${op}` };
  const resultCode = b.readUInt16BE(2);
  if (resultCode !== 0) {
    const text = RESULT_TEXT[resultCode] ?? `result code ${resultCode}`;
    return { kind: 'refused', resultCode, message: `the router refused: ${text}` };
  }
  if (request.op === 'external-address') {
    if (b.length < EXTERNAL_ADDRESS_REPLY_BYTES) return { kind: 'drop', why: `${b.length} bytes, short` };
    const address = [b[8], b[9], b[10], b[11]].join('.');
    return { kind: 'answer', answer: { kind: 'external-address', address } };
  }
  if (b.length < MAP_REPLY_BYTES) return { kind: 'drop', why: `${b.length} bytes, short` };
  const internalPort = b.readUInt16BE(8);
  if (internalPort !== request.internalPort)
    return { kind: 'drop', why: `a mapping of internal port ${internalPort}` };
  const externalPort = b.readUInt16BE(10);
  const lifetimeSeconds = b.readUInt32BE(12);
  if (externalPort === 0 && request.lifetimeSeconds !== 0)
    return { kind: 'drop', why: 'external port 0 for a mapping asked' };
  return { kind: 'answer', answer: { kind: 'mapped', internalPort, externalPort, lifetimeSeconds } };
}

export interface NatPmpClientOptions {
  /** The gateway's port; tests aim at a fake on loopback. */
  port?: number;
  /** Told each datagram that was dropped, and why. */
  onDrop?: (why: string) => void;
}

/**
 * Sends `request` to the gateway, again at 250 ms doubling (RFC 6886 §3.1), until a well-formed answer
 * or a refusal arrives or `signal` ends it. The socket is closed whichever way it ends.
 */
export function natPmpRequest(
  gateway: string,
  request: NatPmpRequest,
  signal: AbortSignal,
  options: NatPmpClientOptions = {},
): Promise<NatPmpAnswer> {
  const port = options.port ?? NAT_PMP_SERVER_PORT;
  const bytes = encodeNatPmpRequest(request);
  return new Promise<NatPmpAnswer>((resolve, reject) => {
    const socket = createSocket('udp4');
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (err: Error | undefined, answer?: NatPmpAnswer) => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      try {
        socket.close();
      } catch {
        /* not yet bound, or already closed */
      }
      if (err) reject(err);
      else resolve(answer!);
    };
    const onAbort = () =>
      finish(new Error(`no NAT-PMP answer from ${gateway}: ${String(signal.reason ?? 'aborted')}`));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    // An unreachable port comes back as an error on a connected socket: no NAT-PMP there.
    socket.on('error', (err) => finish(new Error(`NAT-PMP at ${gateway}: ${err.message}`)));
    socket.on('message', (msg, from) => {
      if (from.address !== gateway || from.port !== port) {
        options.onDrop?.(`from ${from.address}:${from.port}, not the gateway`);
        return;
      }
      const decoded = decodeNatPmpReply(msg, request);
      if (decoded.kind === 'drop') options.onDrop?.(decoded.why);
      else if (decoded.kind === 'refused') finish(new Error(decoded.message));
      else finish(undefined, decoded.answer);
    });
    let wait = NAT_PMP_FIRST_RETRY_MS;
    const send = () => {
      if (done) return;
      socket.send(bytes, (err) => {
        if (err) finish(new Error(`NAT-PMP at ${gateway}: ${err.message}`));
      });
      timer = setTimeout(send, wait);
      wait *= 2;
    };
    // Connecting binds an ephemeral port and makes the kernel drop what another address sends.
    socket.connect(port, gateway, send);
  });
}
