/**
 * The browser-node page a relay serves at its root (ADR 0094): the files `vite build -c
 * scripts/vite-web-node.config.ts` wrote to dist/web-node/, hashed at start and served from memory
 * once first asked for (relay/page-files.ts).
 * Its index.html gets Subresource Integrity on every script and stylesheet, and every answer a strict
 * Content-Security-Policy: the page runs only its own code and talks only to this relay. One hash pins
 * every file it serves, the manifest and the icon too (`pageHash`): `clawbridge relay` prints it, so
 * anyone can compare it with the one published for the release, or recompute it from the files
 * (docs/security.md §The browser page).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, brotliDecompressSync, constants, gunzipSync, gzipSync } from 'node:zlib';
import { CODING_SUFFIX, CODINGS, type Coding } from '../core/http-encoding.js';
import {
  hashFile,
  PageFileOnDisk,
  sha256Hex,
  tagOf,
  type CopyOnDisk,
  type FileHashes,
  type PageFile,
} from './page-files.js';
import {
  parsePrecompressedList,
  PRECOMPRESSED_LIST,
  type PrecompressedCopy,
} from '../core/precompressed-list.js';

/**
 * Only this relay's own files, and its own socket (`'self'` covers ws: and wss: to the same host):
 * no inline or third-party script, no framing by another site, no form posts, no <base>. Inline
 * styles are allowed: the terminal view (xterm) sets its own, and a style cannot run code.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "manifest-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/**
 * The policy with the hashes of the page's own inline scripts allowed: only its import map, which
 * carries the integrity of the scripts loaded on demand (ADR 0107). A hash allows that exact text and
 * nothing else, so no other inline script runs.
 */
export function pageCsp(inlineScriptHashes: readonly string[]): string {
  if (inlineScriptHashes.length === 0) return PAGE_CSP;
  const sources = inlineScriptHashes.map((h) => `'${h}'`).join(' ');
  return PAGE_CSP.replace("script-src 'self'", `script-src 'self' ${sources}`);
}

/** Headers every page answer carries (`RelayPage.headers`: with its own import map's hash). */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': PAGE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.woff2': 'font/woff2',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.png': 'image/png',
  '.webmanifest': 'application/manifest+json',
};

export interface RelayPage {
  /** The page's hash (64 hex, `pageHash`): pins every file served, as served. */
  readonly hash: string;
  /** Every file served, by URL path (`/` is index.html as served, with its integrity attributes). */
  readonly paths: readonly string[];
  /**
   * Precompressed files beside the page that are not the file they sit beside by the build's list, or
   * (for a file no integrity pins) do not decode to it: left from another build, or changed by hand.
   * Never served, since the hash pins the plain bytes.
   */
  readonly stale: readonly string[];
  /** Headers every answer of this page carries: PAGE_HEADERS, its CSP allowing its import map. */
  readonly headers: Readonly<Record<string, string>>;
  /** Whether the page has a file at a URL path (`/` is index.html). */
  has(path: string): boolean;
  /**
   * The file at a URL path (`/` is index.html), or undefined; read from disk when first asked for.
   * @throws ClawError('INTERNAL') when the file's bytes changed on disk since the page was loaded.
   */
  file(path: string): PageFile | undefined;
}

/** Where the built page is: dist/web-node/ beside dist/src-main/ or dist/cli/, or under dist/ from source. */
export function defaultPageDir(): string {
  const candidates = [
    fileURLToPath(new URL('../../web-node/', import.meta.url)),
    fileURLToPath(new URL('../../dist/web-node/', import.meta.url)),
  ];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? candidates[0]!;
}

/**
 * The precompressed forms the build wrote beside `file` (`rel` under the page's folder;
 * scripts/vite-precompress.ts), each kept only when the build's list of them says it encodes the
 * file's bytes (`plain`, their SHA-256) and is itself as the build wrote it
 * (core/precompressed-list.ts): the page's hash pins the plain bytes, so an encoded copy must be the
 * same file, never another one. Checked by hash rather than by decoding each copy, which left the
 * decoders' freed buffers in the relay's C heap for good (ADR 0126); a browser checks what it decoded
 * of the scripts and the stylesheet against their integrity, and the few small files nothing else
 * checks are decoded as well (`copiesThatDecode`). Those that are not kept are named in `stale`.
 */
function precompressed(
  file: string,
  rel: string,
  plain: string,
  list: ReadonlyMap<string, PrecompressedCopy>,
  stale: string[],
): Partial<Record<Coding, CopyOnDisk>> {
  const copies: Partial<Record<Coding, CopyOnDisk>> = {};
  for (const coding of CODINGS) {
    const path = file + CODING_SUFFIX[coding];
    if (!existsSync(path)) continue;
    const listed = list.get(rel + CODING_SUFFIX[coding]);
    const copy = listed?.plain === plain ? hashFile(path).sha256 : undefined;
    if (copy !== undefined && listed?.copy === copy) copies[coding] = { file: path, sha256: copy };
    else stale.push(path);
  }
  return copies;
}

const DECODE: Readonly<Record<Coding, (b: Buffer) => Buffer>> = {
  br: brotliDecompressSync,
  gzip: gunzipSync,
};

/**
 * Of the copies of a file no integrity attribute pins (the web app manifest: a browser would take
 * whatever it decodes), those that decode to exactly its bytes; the others are named in `stale`.
 * These files are small, so decoding them leaves nothing behind worth the name (ADR 0126).
 */
function copiesThatDecode(
  file: string,
  copies: Partial<Record<Coding, CopyOnDisk>>,
  stale: string[],
): Partial<Record<Coding, CopyOnDisk>> {
  const body = readFileSync(file);
  const kept: Partial<Record<Coding, CopyOnDisk>> = {};
  for (const coding of CODINGS) {
    const copy = copies[coding];
    if (!copy) continue;
    let same = false;
    try {
      same = DECODE[coding](readFileSync(copy.file)).equals(body);
    } catch {
      // Not even its coding: stale below.
    }
    if (same) kept[coding] = copy;
    else stale.push(copy.file);
  }
  return kept;
}

/** index.html as served is made here (its integrity attributes), so it is compressed here: a few KiB. */
function compressed(body: Buffer): Partial<Record<Coding, Buffer>> {
  return {
    br: brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
    gzip: gzipSync(body, { level: 9 }),
  };
}

/**
 * The hash of a page: SHA-256 over one line per file it serves, `<sha256 hex>  <path>\n` (sha256sum's
 * own format), sorted by path, with index.html as `/index.html` as served. A file added, removed or
 * changed, the manifest and the icon included, changes it. Each file as its path and SHA-256 (hex).
 */
export function pageHash(files: Iterable<readonly [path: string, sha256: string]>): string {
  const lines = [...files]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([path, hex]) => `${hex}  ${path}\n`);
  return createHash('sha256').update(lines.join('')).digest('hex');
}

/**
 * The import map that gives every script under /assets/ its integrity (ADR 0107): the scripts the
 * page imports on demand (xterm.js, when a terminal opens) are fetched by `import()`, which has no
 * integrity attribute; a browser checks an import map's `integrity` for every module it fetches. With
 * the SHA-256 of its text, which the CSP allows.
 */
function integrityMap(
  files: ReadonlyMap<string, { hashes: FileHashes }>,
): { tag: string; hash: string; paths: string[] } | undefined {
  const scripts = [...files].filter(([path]) => path.startsWith('/assets/') && path.endsWith('.js'));
  if (scripts.length === 0) return undefined;
  const integrity = Object.fromEntries(
    scripts.sort(([a], [b]) => (a < b ? -1 : 1)).map(([p, f]) => [p, sri(f.hashes)]),
  );
  const text = JSON.stringify({ integrity });
  return {
    tag: `<script type="importmap">${text}</script>`,
    hash: `sha256-${createHash('sha256').update(text).digest('base64')}`,
    paths: scripts.map(([path]) => path),
  };
}

const sri = (hashes: FileHashes) => `sha384-${hashes.sha384}`;

/**
 * Reads the built page from `dir`. Undefined when it is not built (the relay then serves no page and
 * says so). Every `/assets/…` file index.html names gets an `integrity` attribute, and every script
 * under /assets/ an entry in its import map. The files are hashed now and read when first asked for
 * (relay/page-files.ts); index.html, made here, is kept from the start.
 */
export function loadRelayPage(dir = defaultPageDir()): RelayPage | undefined {
  const indexPath = join(dir, 'index.html');
  if (!existsSync(indexPath)) return undefined;
  const found = new Map<
    string,
    { file: string; type: string; hashes: FileHashes; copies: Partial<Record<Coding, CopyOnDisk>> }
  >();
  const stale: string[] = [];
  const listPath = join(dir, PRECOMPRESSED_LIST);
  const list = parsePrecompressedList(existsSync(listPath) ? readFileSync(listPath, 'utf8') : '');
  const add = (folder: string, prefix: string, name: string) => {
    const type = TYPES[name.slice(name.lastIndexOf('.'))];
    if (!type) return;
    const file = join(folder, name);
    const hashes = hashFile(file);
    const rel = `${prefix}${name}`;
    found.set(rel, {
      file,
      type,
      hashes,
      copies: precompressed(file, rel.slice(1), hashes.sha256, list, stale),
    });
  };
  const assets = join(dir, 'assets');
  for (const name of existsSync(assets) ? readdirSync(assets) : []) add(assets, '/assets/', name);
  // Beside index.html: the web app manifest (installing the page needs no store).
  for (const name of readdirSync(dir)) if (name !== 'index.html') add(dir, '/', name);
  const imports = integrityMap(found);
  /** The files a browser checks against their integrity, whichever encoding it took. */
  const pinned = new Set(imports?.paths);
  const built = readFileSync(indexPath, 'utf8');
  // Before the first module script: a browser takes an import map only before it loads any module.
  const mapped = imports
    ? built.replace(/(\s*)<script type="module"/, `$1${imports.tag}$1<script type="module"`)
    : built;
  const html = mapped.replace(
    /<(script|link)([^>]*?) (src|href)="(\/assets\/[^"]+)"([^>]*)>/g,
    (tag, element: string, before: string, attr: string, path: string, after: string) => {
      const file = found.get(path);
      if (!file) return tag;
      pinned.add(path);
      const cross = /crossorigin/.test(before + after) ? '' : ' crossorigin';
      return `<${element}${before} ${attr}="${path}" integrity="${sri(file.hashes)}"${cross}${after}>`;
    },
  );
  const files = new Map<string, { get(): PageFile }>();
  for (const [path, { file, type, hashes, copies }] of found) {
    const checked = pinned.has(path) ? copies : copiesThatDecode(file, copies, stale);
    files.set(path, new PageFileOnDisk(file, type, hashes.sha256, checked));
  }
  const index = Buffer.from(html, 'utf8');
  const indexFile: PageFile = {
    body: index,
    type: TYPES['.html']!,
    tag: tagOf(sha256Hex(index)),
    encoded: compressed(index),
  };
  files.set('/', { get: () => indexFile });
  const served: [string, string][] = [
    ['/index.html', sha256Hex(index)],
    ...[...found].map(([path, f]) => [path, f.hashes.sha256] as [string, string]),
  ];
  return {
    hash: pageHash(served),
    paths: served.map(([path]) => path).sort(),
    stale,
    headers: { ...PAGE_HEADERS, 'content-security-policy': pageCsp(imports ? [imports.hash] : []) },
    has: (path) => files.has(path === '/index.html' ? '/' : path),
    file: (path) => files.get(path === '/index.html' ? '/' : path)?.get(),
  };
}
