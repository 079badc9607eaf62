/**
 * The service worker behind the page's downloads (ADR 0124 §The page): a download URL under
 * DOWNLOAD_SCOPE that the page registered is answered with a stream whose bytes the page sends
 * through a MessagePort, one chunk for each chunk the browser pulls as it writes to disk. So a file of
 * any size passes through in pieces and is never whole in memory; the page errors the stream (a hash
 * that did not match) and the browser fails the download. It imports nothing: a classic script built
 * on its own.
 */

/** What the page posts to register a download (its MessagePort beside it). */
interface DownloadRequest {
  t: 'download';
  id: string;
  name: string;
  type: string;
  size?: number;
}

/** The few parts of a service worker's scope used here (the DOM's types do not name them). */
interface WorkerScope {
  addEventListener(
    type: 'install' | 'activate',
    listener: (event: { waitUntil(p: Promise<unknown>): void }) => void,
  ): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<DownloadRequest>) => void): void;
  addEventListener(
    type: 'fetch',
    listener: (event: { request: Request; respondWith(r: Response | Promise<Response>): void }) => void,
  ): void;
  skipWaiting(): Promise<void>;
  clients: { claim(): Promise<void> };
}

const scope = self as unknown as WorkerScope;
/** Downloads registered and not yet asked for, by ID. */
const waiting = new Map<string, { request: DownloadRequest; port: MessagePort }>();

scope.addEventListener('install', (event) => event.waitUntil(scope.skipWaiting()));
scope.addEventListener('activate', (event) => event.waitUntil(scope.clients.claim()));

scope.addEventListener('message', (event) => {
  const request = event.data;
  const port = event.ports[0];
  if (request?.t !== 'download' || !/^[0-9a-f]{32}$/.test(request.id) || !port) return;
  waiting.set(request.id, { request, port });
  port.postMessage({ t: 'registered' });
});

/** The page's answer to one pull: a chunk, the end, or why the download fails. */
type PageAnswer =
  { t: 'chunk'; bytes: ArrayBuffer; at: number; length: number } | { t: 'end' } | { t: 'error'; why: string };

/**
 * Where a chunk's buffer goes once the browser took its bytes: a port whose other end is closed, so
 * the message carrying it is dropped and the buffer freed at once. Left to V8, the buffers that passed
 * wait for a collection that external memory pressure starts only after tens of MiB of them, and they
 * were most of what the page's renderer grew by while a file passed (ADR 0124 §The page).
 */
const discarded = (() => {
  const channel = new MessageChannel();
  channel.port2.close();
  return channel.port1;
})();

function bodyFrom(port: MessagePort): ReadableStream<Uint8Array> {
  let answer: ((a: PageAnswer) => void) | undefined;
  /** The buffer of the chunk the browser took last. */
  let taken: ArrayBuffer | undefined;
  port.onmessage = (event: MessageEvent<PageAnswer>) => answer?.(event.data);
  return new ReadableStream<Uint8Array>(
    {
      pull: (controller) =>
        new Promise<void>((resolve) => {
          // A pull is the browser asking for the next chunk (no chunk is queued ahead: highWaterMark
          // 0), so it is done with the last one: Fetch copies a body's chunk as it reads it, and
          // Chromium, which reads it in place instead, reads again only once it wrote all of it.
          if (taken) discarded.postMessage(null, [taken]);
          taken = undefined;
          answer = (a) => {
            answer = undefined;
            if (a.t === 'chunk') {
              taken = a.bytes;
              controller.enqueue(new Uint8Array(a.bytes, a.at, a.length));
            } else if (a.t === 'end') controller.close();
            else controller.error(new Error(a.why));
            resolve();
          };
          port.postMessage({ t: 'pull' });
        }),
      cancel: (reason) => port.postMessage({ t: 'cancel', why: String(reason) }),
    },
    { highWaterMark: 0 },
  );
}

/** `name` as a Content-Disposition filename: UTF-8, percent-encoded (RFC 6266), and an ASCII fallback. */
function disposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

scope.addEventListener('fetch', (event) => {
  const match = /\/receive\/([0-9a-f]{32})(?:\/|$)/.exec(new URL(event.request.url).pathname);
  if (!match) return;
  const download = waiting.get(match[1]!);
  if (!download) {
    event.respondWith(
      new Response('This download is over, or was started by another page.', { status: 404 }),
    );
    return;
  }
  waiting.delete(match[1]!);
  const { request, port } = download;
  const headers: Record<string, string> = {
    'content-type': request.type,
    'content-disposition': disposition(request.name),
    'x-content-type-options': 'nosniff',
  };
  if (request.size !== undefined) headers['content-length'] = String(request.size);
  event.respondWith(new Response(bodyFrom(port), { headers }));
});
