/**
 * Reads one protocol message (a SOCKS5 greeting, an HTTP request head, a tcp-connect result) from the
 * front of a byte stream with an incremental decoder, then leaves the stream paused with any bytes after
 * the message pushed back, so a later pipe() starts exactly where the message ended.
 */
import type { Readable } from 'node:stream';
import { ClawError } from '../core/errors.js';

/** What the incremental decoders of protocol/ answer. */
export type Decoding<T> =
  | { status: 'more' }
  | { status: 'done'; value: T; used: number }
  | { status: 'invalid'; reason: string; reply?: number };

/** A malformed message, with the reply code a SOCKS5 server should send before closing, if any. */
export class MalformedMessage extends ClawError {
  constructor(
    message: string,
    readonly reply?: number,
  ) {
    super('PROTOCOL', message);
  }
}

/**
 * Resolves with the decoded message; rejects with MalformedMessage when the bytes are invalid, and with
 * ClawError('TIMEOUT' | 'PROTOCOL') when the stream ends, fails or stays silent for `timeoutMs`.
 * @param decode gets everything buffered so far and the length it had at the previous call
 * @param what names the message in errors, e.g. `SOCKS5 greeting`
 */
export function readMessage<T>(
  stream: Readable,
  decode: (buf: Buffer, previousLength: number) => Decoding<T>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    const finish = (err: Error | undefined, value?: T, rest?: Buffer) => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.pause();
      if (rest && rest.length > 0) stream.unshift(rest);
      if (err) reject(err);
      else resolve(value as T);
    };
    const onData = (chunk: Buffer) => {
      const previous = buf.length;
      buf = previous === 0 ? chunk : Buffer.concat([buf, chunk]);
      const r = decode(buf, previous);
      if (r.status === 'done') finish(undefined, r.value, buf.subarray(r.used));
      else if (r.status === 'invalid') finish(new MalformedMessage(r.reason, r.reply));
    };
    const onEnd = () =>
      finish(new ClawError('PROTOCOL', `connection closed before the ${what} was complete`));
    const onError = (err: Error) => finish(err);
    const timer = setTimeout(
      () => finish(new ClawError('TIMEOUT', `no complete ${what} within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
    stream.resume();
  });
}
