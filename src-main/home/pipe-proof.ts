/**
 * The proof both ends of a Windows named pipe give before anything else crosses it
 * (docs/security.md §Another user on the same machine). Node creates a named pipe with the default
 * security descriptor — this user, SYSTEM and Administrators in full, Everyone and Anonymous read-only —
 * and cannot narrow it (libuv passes no SECURITY_ATTRIBUTES; `readableAll`/`writableAll` only widen it;
 * SetSecurityInfo needs a native call on a handle Node does not expose). So on Windows the control pipe
 * and the session host's pipe are guarded by a secret only this user can read instead: `pipe.key` in
 * the node's home (32 random bytes, made by the agent; the home's folder in the user's profile is
 * private to the user by NTFS inheritance). Each connection starts with a challenge–response:
 *
 *   client → server  `clawbridge-pipe 1 CN`          CN: 32 random bytes, hex
 *   server → client  `clawbridge-pipe 1 SN SMAC`     SMAC = HMAC-SHA256(key, "server" 0 CN SN)
 *   client → server  `CMAC`                          CMAC = HMAC-SHA256(key, "client" 0 CN SN)
 *
 * The client checks SMAC before it sends anything of its own, so a pipe another user created first
 * under the agent's name (squatting: any user may create a free pipe name) learns nothing — no
 * pairing code, no request; the server checks CMAC before it reads a request, so a user who could
 * open the pipe for writing still drives nothing. Fresh nonces on both sides: no replay. POSIX needs
 * none of this: the socket is 0600 in a 0700 directory and the client checks its owner.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { ClawError, errorMessage } from '../core/errors.js';

/** The key's file in the home. */
export const PIPE_KEY_FILE = 'pipe.key';
/** The key's length in bytes (HMAC-SHA256's block is 64; 32 random bytes are 256 bits). */
export const PIPE_KEY_BYTES = 32;
/** How long either end waits for the other's line, in ms (a local process answers in microseconds). */
export const PIPE_PROOF_TIMEOUT_MS = 10_000;
/** Longest proof line accepted, in bytes (the longest is 17 + 64 + 1 + 64). */
const MAX_PROOF_LINE = 256;
const HELLO = 'clawbridge-pipe 1';
const HEX64 = /^[0-9a-f]{64}$/;

/** Whether a pipe at `path` on `platform` needs the proof: Windows named pipes only. Pure. */
export function pipeProofNeeded(path: string, platform: NodeJS.Platform): boolean {
  return platform === 'win32' && /^\\\\[.?]\\pipe\\/i.test(path);
}

/** The MAC one side sends (`role`: who sends it). Pure. */
export function pipeMac(key: Buffer, role: 'server' | 'client', cn: string, sn: string): string {
  return createHmac('sha256', key).update(`${role}\0${cn}\0${sn}`).digest('hex');
}

/** Constant-time comparison of two hex MACs; false for anything malformed. Pure. */
export function sameMac(expected: string, got: string): boolean {
  if (!HEX64.test(got) || !HEX64.test(expected)) return false;
  return timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(got, 'hex'));
}

/** The client's first line's nonce, or undefined when it is not one. Pure. */
export function parseClientHello(line: string): string | undefined {
  const m = /^clawbridge-pipe 1 ([0-9a-f]{64})$/.exec(line);
  return m?.[1];
}

/** The server's reply, or undefined when it is not one. Pure. */
export function parseServerHello(line: string): { sn: string; mac: string } | undefined {
  const m = /^clawbridge-pipe 1 ([0-9a-f]{64}) ([0-9a-f]{64})$/.exec(line);
  return m ? { sn: m[1]!, mac: m[2]! } : undefined;
}

/**
 * The agent's key: read from `home`, or made (0600; on Windows the home folder's inherited ACL is what
 * keeps it private) when missing or not 32 bytes. Only the agent makes it, at start.
 */
export function ensurePipeKey(home: string): Buffer {
  const file = join(home, PIPE_KEY_FILE);
  try {
    const key = readFileSync(file);
    if (key.length === PIPE_KEY_BYTES) return key;
  } catch {
    // missing: made below
  }
  const key = randomBytes(PIPE_KEY_BYTES);
  writeFileSync(file, key, { mode: 0o600 });
  return key;
}

/** A client's key, read from `home`. @throws ClawError('NO_AGENT') when there is none (no agent ever ran). */
export function readPipeKey(home: string): Buffer {
  try {
    const key = readFileSync(join(home, PIPE_KEY_FILE));
    if (key.length === PIPE_KEY_BYTES) return key;
  } catch (err) {
    throw new ClawError('NO_AGENT', `cannot read ${PIPE_KEY_FILE} in ${home}: ${errorMessage(err)}`);
  }
  throw new ClawError('NO_AGENT', `${PIPE_KEY_FILE} in ${home} is not a key; start the agent again`);
}

/**
 * Server side: resolves true once the client proved it holds `key` (its later bytes stay unread on
 * the socket, paused), false when it did not — the socket is then destroyed.
 */
export async function acceptPipeProof(
  socket: Socket,
  key: Buffer,
  timeoutMs = PIPE_PROOF_TIMEOUT_MS,
): Promise<boolean> {
  try {
    const cn = parseClientHello(await readProofLine(socket, timeoutMs));
    if (!cn) throw new Error('not a client hello');
    const sn = randomBytes(32).toString('hex');
    socket.write(`${HELLO} ${sn} ${pipeMac(key, 'server', cn, sn)}\n`);
    if (!sameMac(pipeMac(key, 'client', cn, sn), await readProofLine(socket, timeoutMs)))
      throw new Error('wrong client proof');
    return true;
  } catch {
    socket.destroy();
    return false;
  }
}

/**
 * Client side: proves `key` to the server and checks the server's proof first. Resolves with the
 * socket ready for the protocol. @throws ClawError('CONFIG_INVALID') when the server cannot
 * prove it holds the key (another user's process on the pipe's name), having sent it nothing else.
 */
export async function offerPipeProof(
  socket: Socket,
  key: Buffer,
  timeoutMs = PIPE_PROOF_TIMEOUT_MS,
): Promise<void> {
  const cn = randomBytes(32).toString('hex');
  socket.write(`${HELLO} ${cn}\n`);
  let reply: { sn: string; mac: string } | undefined;
  try {
    const line = await readProofLine(socket, timeoutMs);
    reply = parseServerHello(line);
    // The agent turned the connection away before any proof (too many connections): say its reason.
    const refused = reply ? undefined : refusalOf(line);
    if (refused) {
      socket.destroy();
      throw new ClawError('NO_AGENT', refused);
    }
  } catch (err) {
    if (err instanceof ClawError) throw err;
    socket.destroy();
    throw new ClawError(
      'CONFIG_INVALID',
      `the pipe did not prove it is this user's agent: ${errorMessage(err)}`,
    );
  }
  if (!reply || !sameMac(pipeMac(key, 'server', cn, reply.sn), reply.mac)) {
    socket.destroy();
    throw new ClawError(
      'CONFIG_INVALID',
      "the pipe's server cannot prove it holds this home's pipe.key: another user's process may hold the pipe's name; nothing was sent to it",
    );
  }
  socket.write(`${pipeMac(key, 'client', cn, reply.sn)}\n`);
  // Flowing again, as a fresh connection's first 'data' listener would make it: nothing is lost
  // meanwhile, because a server says nothing until the client's first request.
  socket.resume();
}

/** The message of a control server's refusal line (`{"id":null,"ok":false,"error":{…}}`), if it is one. Pure. */
export function refusalOf(line: string): string | undefined {
  try {
    const v = JSON.parse(line) as { ok?: unknown; error?: { message?: unknown } };
    return v.ok === false && typeof v.error?.message === 'string' ? v.error.message.slice(0, 500) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads one `\n`-terminated line of at most MAX_PROOF_LINE bytes; what came after it is put back on
 * the socket (unshift) and the socket left paused, so the protocol that follows reads it first.
 */
export function readProofLine(socket: Socket, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const done = (err: Error | undefined, line?: string, rest?: Buffer) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
      socket.pause();
      if (rest && rest.length > 0) socket.unshift(rest);
      if (err) reject(err);
      else resolve(line!);
    };
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const nl = buf.indexOf(0x0a);
      if (nl >= 0) return done(undefined, buf.subarray(0, nl).toString('latin1'), buf.subarray(nl + 1));
      if (buf.length > MAX_PROOF_LINE) done(new Error('proof line too long'));
    };
    const onEnd = () => done(new Error('the pipe closed during the proof'));
    const onError = (err: Error) => done(err);
    const timer = setTimeout(() => done(new Error(`no proof within ${timeoutMs / 1000} s`)), timeoutMs);
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', onError);
    socket.resume();
  });
}
