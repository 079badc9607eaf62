/**
 * One side of a per-peer exchange, read (docs/adr/0117-one-exchange-engine.md): JSON lines until the
 * half-close, each handed to the caller's `take` as text. Bounded before anything is kept: at most
 * `maxLines` lines of at most `maxLineBytes` bytes each, and the end within `timeoutMs`; past any bound,
 * a line `take` refuses, a last line with no newline, or a stream that ends otherwise, the whole side
 * is refused (nothing it brought is applied) with why. The introductions and the groups' exchange read
 * their lines with it (pairing/introductions.ts, groups/group-lines.ts).
 */
import type { Duplex } from 'node:stream';
import { errorMessage } from '../core/errors.js';
import { realExchangeTimers, type ExchangeTimers } from './peer-exchanges.js';

export interface LineBounds {
  /** What one line is called in a problem: `record` gives `more than 4096 records`, `record 3: …`. */
  noun: string;
  /** Lines one side may send. */
  maxLines: number;
  /** Bytes one line may hold, its newline not counted. */
  maxLineBytes: number;
  /** How long the side may take to its end, in ms. */
  timeoutMs: number;
}

/** An exchange's stream erring after its lines were read or refused: nothing left to do. */
function ignoreLateError(): void {}

/**
 * Every line on `stream` until its end, each given to `take` (which returns why it refuses one, or
 * undefined): `{ lines }` read, or `{ problem }` saying why the side is refused.
 */
export function readLines(
  stream: Duplex,
  bounds: LineBounds,
  take: (text: string) => string | undefined,
  timers: ExchangeTimers = realExchangeTimers,
): Promise<{ lines: number } | { problem: string }> {
  const { noun, maxLines, maxLineBytes, timeoutMs } = bounds;
  return new Promise((resolve) => {
    let lines = 0;
    let parts: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: { lines: number } | { problem: string }) => {
      if (done) return;
      done = true;
      timers.clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
      // Whoever holds the stream next destroys it (with a reason) or the peer resets it: its error
      // must still find a listener, or it would end the process.
      stream.on('error', ignoreLateError);
      if ('problem' in result) stream.resume();
      resolve(result);
    };
    const timer = timers.setTimeout(
      () => finish({ problem: `no end within ${timeoutMs / 1000} s` }),
      timeoutMs,
    );
    const tooLong = { problem: `a ${noun} longer than ${maxLineBytes} bytes` };
    const onData = (chunk: Buffer) => {
      let rest = chunk;
      for (let nl = rest.indexOf(0x0a); nl !== -1; nl = rest.indexOf(0x0a)) {
        const head = rest.subarray(0, nl);
        rest = rest.subarray(nl + 1);
        if (size + head.length > maxLineBytes) return finish(tooLong);
        const whole = Buffer.concat([...parts, head]).toString('utf8');
        parts = [];
        size = 0;
        if (++lines > maxLines) return finish({ problem: `more than ${maxLines} ${noun}s` });
        const problem = take(whole);
        if (problem !== undefined) return finish({ problem: `${noun} ${lines}: ${problem}` });
      }
      if (size + rest.length > maxLineBytes) return finish(tooLong);
      if (rest.length > 0) {
        parts.push(Buffer.from(rest));
        size += rest.length;
      }
    };
    const onEnd = () => finish(size > 0 ? { problem: `a last ${noun} without its newline` } : { lines });
    const onError = (err: Error) => finish({ problem: errorMessage(err) });
    const onClose = () => finish({ problem: 'the stream closed before its end' });
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}
