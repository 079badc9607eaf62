/**
 * Where received files go (ADR 0124 §The page): one file as a download of its own (the only one, or
 * the one of several its row's **Save** asked for), several (or a folder) as one zip, each streamed
 * to disk by the download worker (stream-download.ts) as its bytes arrive. A file whose hash does not
 * match errors its stream, which fails the download.
 */
import type { OfferEntry } from '../../../src-main/protocol/file-frames-wire.js';
import type { ArrivingFile } from '../../node/file-code-stream.js';
import { saveStream } from './stream-download.js';
import { zipStream } from './zip-stream.js';

/** Files in the order they arrive, to be read once: pushed by the receiver, taken by the saver. */
export class Arrivals {
  private readonly queue: ArrivingFile[] = [];
  private over: Error | true | undefined;
  private wake: (() => void) | undefined;

  push(file: ArrivingFile): void {
    this.queue.push(file);
    this.wakeUp();
  }
  /** No more files: every one arrived. */
  end(): void {
    this.over ??= true;
    this.wakeUp();
  }
  fail(error: Error): void {
    this.over ??= error;
    this.wakeUp();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<ArrivingFile> {
    for (;;) {
      const next = this.queue.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.over === true) return;
      if (this.over) throw this.over;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private wakeUp(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
}

/** The last part of a `/`-separated path. */
const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/**
 * Saves what `arrivals` brings: the one file of a single-file offer as itself, anything else as a
 * zip named after the offer's first name. Resolves once the browser took every byte.
 */
export async function saveFiles(
  entries: readonly OfferEntry[],
  arrivals: Arrivals,
  names: readonly string[],
): Promise<void> {
  if (entries.length === 1 && entries[0]?.kind === 'file') return saveOne(arrivals, 0);
  const zipName = `${names.length === 1 && names[0] ? names[0] : 'files'}.zip`;
  return saveStream(zipStream(entries, arrivals), zipName, { type: 'application/zip' });
}

/**
 * Saves file `index` as itself, the next to arrive: the one file of a single-file offer, or the one
 * file of several that **Save** in its row asked for (the sender sends no other). Resolves once the
 * browser took every byte.
 */
export async function saveOne(arrivals: Arrivals, index: number): Promise<void> {
  for await (const file of arrivals) {
    if (file.index !== index)
      throw new Error(`${JSON.stringify(file.entry.path)} arrived, not the file asked for`);
    return saveStream(file.stream, baseName(file.entry.path), {
      type: 'application/octet-stream',
      size: file.entry.size,
    });
  }
  throw new Error('the sender ended before the file arrived');
}
