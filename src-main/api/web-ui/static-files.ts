/**
 * The built renderer (`vite build` → dist/renderer/) served read-only: GET and HEAD, files inside the
 * folder only, `index.html` for `/`. The renderer uses relative asset URLs (vite `base: './'`), so the
 * same bundle works from file:// in Electron and from `/` here.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

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
  let size: number | undefined;
  try {
    const st = file === undefined ? undefined : statSync(file);
    if (st?.isFile()) size = st.size;
  } catch {
    // absent: 404 below
  }
  if (file === undefined || size === undefined) {
    plain(res, 404, 'not found', headers, head);
    return;
  }
  res.writeHead(200, {
    ...headers,
    'Content-Type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': String(size),
  });
  if (head) {
    res.end();
    return;
  }
  const stream = createReadStream(file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}
