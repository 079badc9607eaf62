/**
 * The built renderer (`vite build` → dist/renderer/) served read-only: GET and HEAD, files inside the
 * folder only, `index.html` for `/`. The renderer uses relative asset URLs (vite `base: './'`), so the
 * same bundle works from file:// in Electron and from `/` here. A file the build precompressed
 * (scripts/vite-precompress.ts: `x.js.br`, `x.js.gz` beside `x.js`) is sent in the form the request
 * accepts, which matters when the UI is reached through a forward from another machine; files under
 * assets/ are named by their hash and cached for a year, the rest revalidated (ETag, 304).
 */
import { createReadStream, existsSync, statSync, type Stats } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CODING_SUFFIX,
  CODINGS,
  noneMatch,
  pickCoding,
  representationTag,
  type Coding,
} from '../../core/http-encoding.js';

/** Content types of what vite emits; anything else is served as bytes. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

/**
 * Where the built renderer is: `dist/renderer/` next to `dist/src-main/` (this file runs as
 * dist/src-main/api/web-ui/static-files.js), or under the repository's dist/ when run from source (tsx).
 * The first candidate holding an index.html wins; the built layout's path when none does.
 */
export function defaultRendererDir(): string {
  const candidates = [
    fileURLToPath(new URL('../../../renderer/', import.meta.url)),
    fileURLToPath(new URL('../../../dist/renderer/', import.meta.url)),
  ];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? candidates[0]!;
}

type Headers = Readonly<Record<string, string>>;

function plain(res: ServerResponse, status: number, text: string, headers: Headers, head: boolean): void {
  res.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(head ? undefined : text + '\n');
}

/**
 * The file a URL path names inside `root`, or undefined when it names nothing there: malformed
 * escapes, NUL bytes, or a path that leaves `root` once normalised (`/../../etc/passwd`, `%2e%2e/`).
 */
export function resolveStaticPath(root: string, urlPath: string): string | undefined {
  let path: string;
  try {
    path = decodeURIComponent(urlPath.split(/[?#]/, 1)[0]!);
  } catch {
    return undefined;
  }
  if (path.includes('\0') || !path.startsWith('/')) return undefined;
  if (path.endsWith('/')) path += 'index.html';
  const base = resolve(root);
  const full = resolve(base, '.' + normalize(path).replaceAll('\\', '/'));
  return full.startsWith(base + sep) ? full : undefined;
}

/** A regular file's stats, or undefined when there is none at `path`. */
function fileStats(path: string): Stats | undefined {
  try {
    const st = statSync(path);
    return st.isFile() ? st : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The precompressed copies beside `file` that are no older than it: one left from an earlier build of
 * a file since changed in place is not the same file, and is not sent for it.
 */
function precompressed(file: string, st: Stats): Map<Coding, { path: string; size: number }> {
  const found = new Map<Coding, { path: string; size: number }>();
  for (const coding of CODINGS) {
    const path = file + CODING_SUFFIX[coding];
    const enc = fileStats(path);
    if (enc && enc.mtimeMs >= st.mtimeMs) found.set(coding, { path, size: enc.size });
  }
  return found;
}

/** Answers one HTTP request from `root`; `headers` (the security headers) go on every answer. */
export function serveStatic(req: IncomingMessage, res: ServerResponse, root: string, headers: Headers): void {
  const head = req.method === 'HEAD';
  if (req.method !== 'GET' && !head) {
    res.writeHead(405, { ...headers, Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('only GET and HEAD\n');
    return;
  }
  if (!existsSync(join(root, 'index.html'))) {
    plain(res, 503, `the web UI is not built: run npm run build (looked in ${root})`, headers, head);
    return;
  }
  const file = resolveStaticPath(root, req.url ?? '/');
  const st = file === undefined ? undefined : fileStats(file);
  if (file === undefined || st === undefined) {
    plain(res, 404, 'not found', headers, head);
    return;
  }
  const encoded = precompressed(file, st);
  const coding = pickCoding(req.headers['accept-encoding'], [...encoded.keys()]);
  const sent = coding ? encoded.get(coding)! : { path: file, size: st.size };
  const etag = representationTag(`${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}`, coding);
  const answer: Record<string, string> = {
    ...headers,
    'Content-Type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Cache-Control': file.startsWith(resolve(root, 'assets') + sep)
      ? 'public, max-age=31536000, immutable'
      : 'no-cache',
    ETag: etag,
    ...(encoded.size > 0 ? { Vary: 'Accept-Encoding' } : {}),
  };
  if (noneMatch(req.headers['if-none-match'], etag)) {
    res.writeHead(304, answer);
    res.end();
    return;
  }
  res.writeHead(200, {
    ...answer,
    ...(coding ? { 'Content-Encoding': coding } : {}),
    'Content-Length': String(sent.size),
  });
  if (head) {
    res.end();
    return;
  }
  const stream = createReadStream(sent.path);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}
