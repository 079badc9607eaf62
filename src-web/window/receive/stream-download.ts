/**
 * Saves a stream as a browser download without holding it (ADR 0124 §The page): the page's service
 * worker (download-worker.ts) answers a download URL with a stream it pulls from here, chunk by
 * chunk, as the browser writes the file to disk. A stream that errors fails the download.
 */
import workerUrl from './download-worker.ts?worker&url';
import { randomHex } from '../random-hex.js';

/** Where the worker answers: under its own folder (/assets/), so it registers with no extra header. */
export const DOWNLOAD_SCOPE = new URL('./receive/', new URL(workerUrl, location.href)).pathname;

let registering: Promise<ServiceWorker> | undefined;

/** The active download worker, registered on first use. */
function downloadWorker(): Promise<ServiceWorker> {
  registering ??= (async () => {
    if (!('serviceWorker' in navigator))
      throw new Error(
        'this browser cannot save a download as a stream here (no service workers: the page must be https or localhost)',
      );
    const registration = await navigator.serviceWorker.register(workerUrl, { scope: DOWNLOAD_SCOPE });
    const worker = registration.installing ?? registration.waiting ?? registration.active;
    if (!worker) throw new Error('the download worker did not start');
    if (worker.state !== 'activated')
      await new Promise<void>((resolve) =>
        worker.addEventListener('statechange', () => worker.state === 'activated' && resolve()),
      );
    return worker;
  })().catch((err: unknown) => {
    registering = undefined;
    throw err;
  });
  return registering;
}

/**
 * Starts a download of `body` as `name`; resolves once the browser took all of it (the worker's last
 * pull), rejects with the stream's error (the download then fails). Each chunk's buffer is moved to
 * the worker (detached here): `body` hands on chunks that are the only view anyone reads of their
 * buffers (the code receiver's file bytes, the zip writer's pieces).
 */
export async function saveStream(
  body: ReadableStream<Uint8Array>,
  name: string,
  options: { type: string; size?: number },
): Promise<void> {
  const worker = await downloadWorker();
  const id = randomHex(16);
  const channel = new MessageChannel();
  const reader = body.getReader();
  const over = new Promise<void>((resolve, reject) => {
    channel.port1.onmessage = (event: MessageEvent<{ t: string; why?: string }>) => {
      if (event.data.t === 'cancel') {
        reader.cancel(event.data.why).catch(() => undefined);
        return reject(new Error(`the download was cancelled (${event.data.why ?? 'by the browser'})`));
      }
      if (event.data.t !== 'pull') return;
      reader.read().then(
        ({ done, value }) => {
          if (done) {
            channel.port1.postMessage({ t: 'end' });
            return resolve();
          }
          // Its buffer moved to the worker, not copied: freed here at once, where a copy would wait
          // for V8 to collect it. The chunk is the only part of it anyone reads (see saveStream).
          const buffer = value.buffer as ArrayBuffer;
          channel.port1.postMessage(
            { t: 'chunk', bytes: buffer, at: value.byteOffset, length: value.byteLength },
            [buffer],
          );
        },
        (err: unknown) => {
          const why = err instanceof Error ? err.message : String(err);
          channel.port1.postMessage({ t: 'error', why });
          reject(err instanceof Error ? err : new Error(why));
        },
      );
    };
  });
  const registered = new Promise<void>((resolve) => {
    const first = (event: MessageEvent<{ t: string }>) => {
      if (event.data.t !== 'registered') return;
      channel.port1.removeEventListener('message', first);
      resolve();
    };
    channel.port1.addEventListener('message', first);
  });
  worker.postMessage({ t: 'download', id, name, ...options }, [channel.port2]);
  await registered;
  // A navigation the worker answers with an attachment: the browser downloads, the page stays.
  const link = document.createElement('a');
  link.href = `${DOWNLOAD_SCOPE}${id}/${encodeURIComponent(name)}`;
  link.rel = 'noopener';
  document.body.append(link);
  link.click();
  link.remove();
  return over;
}
