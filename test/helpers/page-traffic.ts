/**
 * What a page in Chromium fetched over the network, as DevTools' Network panel counts it (ADR 0107):
 * each request with its status, its encoding, whether the browser's cache answered it, and the bytes
 * it took on the wire (headers and body as received, `encodedDataLength`). The page-bytes test and the
 * bench's page row (bench/page-bytes.ts) read a first load and a reload through it.
 */
import type { Page } from 'playwright-core';

export interface Fetched {
  readonly url: string;
  /** DevTools' resource type: Document, Script, Stylesheet, Image, Other (the favicon), … */
  readonly type: string;
  /** The status on the wire: 304 for a revalidated copy, which DevTools reports as the cached 200. */
  status?: number;
  encoding?: string;
  /** Answered by the browser's memory or disk cache: no byte crossed the network. */
  fromCache: boolean;
  /** Bytes received for it, headers included; 0 from the cache. */
  bytes: number;
  finished: boolean;
}

export interface Traffic {
  /** Every request since the start or the last `clear()`, in the order they were sent. */
  readonly fetched: Fetched[];
  /** Bytes over the network of what `fetched` holds. */
  bytes(): number;
  /** The requests that went over the network (not answered from the cache). */
  network(): Fetched[];
  clear(): void;
}

/** Starts counting what `page` fetches (its own requests and the browser's for it, such as the favicon). */
export async function watchTraffic(page: Page): Promise<Traffic> {
  const cdp = await page.context().newCDPSession(page);
  const byId = new Map<string, Fetched>();
  const fetched: Fetched[] = [];
  cdp.on('Network.requestWillBeSent', (e) => {
    if (e.request.url.startsWith('data:')) return;
    const entry: Fetched = {
      url: e.request.url,
      type: e.type ?? 'Other',
      fromCache: false,
      bytes: 0,
      finished: false,
    };
    byId.set(e.requestId, entry);
    fetched.push(entry);
  });
  cdp.on('Network.requestServedFromCache', (e) => {
    const entry = byId.get(e.requestId);
    if (entry) entry.fromCache = true;
  });
  const wire = new Set<string>();
  // Sent only for what came over the network, with the status as received.
  cdp.on('Network.responseReceivedExtraInfo', (e) => {
    const entry = byId.get(e.requestId);
    if (!entry) return;
    entry.status = e.statusCode;
    wire.add(e.requestId);
  });
  cdp.on('Network.responseReceived', (e) => {
    const entry = byId.get(e.requestId);
    if (!entry) return;
    if (!wire.has(e.requestId)) entry.status = e.response.status;
    const headers = Object.fromEntries(
      Object.entries(e.response.headers).map(([k, v]) => [k.toLowerCase(), v]),
    );
    entry.encoding = headers['content-encoding'];
    if (e.response.fromDiskCache || e.response.fromPrefetchCache) entry.fromCache = true;
  });
  cdp.on('Network.loadingFinished', (e) => {
    const entry = byId.get(e.requestId);
    if (!entry) return;
    entry.bytes = entry.fromCache ? 0 : e.encodedDataLength;
    entry.finished = true;
  });
  await cdp.send('Network.enable');
  return {
    fetched,
    bytes: () => fetched.reduce((sum, f) => sum + f.bytes, 0),
    network: () => fetched.filter((f) => !f.fromCache),
    clear: () => {
      fetched.length = 0;
      byId.clear();
      wire.clear();
    },
  };
}
