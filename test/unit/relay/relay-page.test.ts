/**
 * The page a relay serves (relay/page.ts, ADR 0094): index.html gets integrity on the script and the
 * stylesheet it names, and the hash `clawbridge relay` prints covers every file served — the manifest
 * and the icon too, which no integrity attribute pins — as docs/security.md says to recompute it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { formatPrecompressedList, PRECOMPRESSED_LIST } from '../../../src-main/core/precompressed-list.js';
import { loadRelayPage } from '../../../src-main/relay/page.js';

function builtPage(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cb-page-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><link rel="manifest" href="/manifest.webmanifest"><link rel="stylesheet" href="/assets/a.css"><script type="module" src="/assets/a.js"></script>',
  );
  writeFileSync(join(dir, 'assets', 'a.js'), 'console.log(1)');
  writeFileSync(join(dir, 'assets', 'a.css'), 'body{}');
  writeFileSync(join(dir, 'manifest.webmanifest'), '{"name":"Clawbridge"}');
  writeFileSync(join(dir, 'icon-512.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  return dir;
}

/** docs/security.md's recipe: `<sha256>  <path>` per served file, sorted by path, hashed. */
function recomputed(files: Record<string, Buffer>): string {
  const lines = Object.entries(files)
    .map(([path, body]) => [path, createHash('sha256').update(body).digest('hex')] as const)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([path, hex]) => `${hex}  ${path}\n`);
  return createHash('sha256').update(lines.join('')).digest('hex');
}

test('the printed hash is the one over every file served, recomputed from the files', () => {
  const dir = builtPage();
  try {
    const page = loadRelayPage(dir)!;
    assert.deepEqual(page.paths, [
      '/assets/a.css',
      '/assets/a.js',
      '/icon-512.png',
      '/index.html',
      '/manifest.webmanifest',
    ]);
    const served = Object.fromEntries(page.paths.map((p) => [p, page.file(p)!.body]));
    assert.equal(page.hash, recomputed(served));
    const html = page.file('/')!.body.toString('utf8');
    assert.match(html, /<script type="module" src="\/assets\/a\.js" integrity="sha384-[^"]+" crossorigin>/);
    assert.match(
      html,
      /<link rel="stylesheet" href="\/assets\/a\.css" integrity="sha384-[^"]+" crossorigin>/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a changed icon or manifest changes the hash, though index.html does not change', () => {
  const dir = builtPage();
  try {
    const before = loadRelayPage(dir)!;
    writeFileSync(join(dir, 'icon-512.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0]));
    const icon = loadRelayPage(dir)!;
    assert.deepEqual(icon.file('/')!.body, before.file('/')!.body, 'index.html is the same');
    assert.notEqual(icon.hash, before.hash, 'the icon is pinned');
    writeFileSync(
      join(dir, 'manifest.webmanifest'),
      '{"name":"Clawbridge","start_url":"https://evil.example/"}',
    );
    assert.notEqual(loadRelayPage(dir)!.hash, icon.hash, 'the manifest is pinned');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("precompressed copies the build's list names for their file are kept; others are not, and are named", () => {
  const dir = builtPage();
  const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  try {
    const js = Buffer.from('console.log(1)');
    const br = brotliCompressSync(js);
    writeFileSync(join(dir, 'assets', 'a.js.br'), br);
    // Left from another build: it decodes, but to other bytes than the file the hash pins.
    const oldGz = gzipSync(Buffer.from('console.log(2)'));
    writeFileSync(join(dir, 'assets', 'a.js.gz'), oldGz);
    // Listed for its file, but changed since the build wrote it.
    const css = Buffer.from('body{}');
    writeFileSync(join(dir, 'assets', 'a.css.gz'), Buffer.from('not gzip'));
    // Named by no line of the list.
    writeFileSync(join(dir, 'manifest.webmanifest.br'), brotliCompressSync('{"name":"Clawbridge"}'));
    writeFileSync(
      join(dir, PRECOMPRESSED_LIST),
      formatPrecompressedList(
        new Map([
          ['assets/a.js.br', { plain: sha256(js), copy: sha256(br) }],
          ['assets/a.js.gz', { plain: sha256(Buffer.from('console.log(2)')), copy: sha256(oldGz) }],
          ['assets/a.css.gz', { plain: sha256(css), copy: sha256(gzipSync(css)) }],
        ]),
      ),
    );
    const page = loadRelayPage(dir)!;
    const served = page.file('/assets/a.js')!;
    assert.deepEqual(Object.keys(served.encoded), ['br']);
    assert.deepEqual(served.encoded.br, br);
    assert.deepEqual(Object.keys(page.file('/assets/a.css')!.encoded), []);
    assert.deepEqual(Object.keys(page.file('/manifest.webmanifest')!.encoded), []);
    assert.deepEqual(
      [...page.stale].sort(),
      [join(dir, 'assets', 'a.css.gz'), join(dir, 'assets', 'a.js.gz'), join(dir, 'manifest.webmanifest.br')],
      'the stale copies are named',
    );
    assert.ok(!page.paths.some((p) => /\.(br|gz)$/.test(p)), 'a copy is never a file of its own');
    assert.ok(!page.paths.includes(`/${PRECOMPRESSED_LIST}`), 'nor is the list');
    assert.ok(
      Object.keys(page.file('/')!.encoded).length === 2,
      'index.html as served is compressed at load',
    );
    assert.notEqual(page.file('/')!.tag, served.tag, 'each file its own tag');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the manifest, which no integrity attribute pins, is decoded too: a line cannot vouch for other bytes', () => {
  const dir = builtPage();
  const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  try {
    const manifest = Buffer.from('{"name":"Clawbridge"}');
    const evil = brotliCompressSync('{"name":"Clawbridge","start_url":"https://evil.example/"}');
    const good = gzipSync(manifest);
    writeFileSync(join(dir, 'manifest.webmanifest.br'), evil);
    writeFileSync(join(dir, 'manifest.webmanifest.gz'), good);
    writeFileSync(
      join(dir, PRECOMPRESSED_LIST),
      formatPrecompressedList(
        new Map([
          ['manifest.webmanifest.br', { plain: sha256(manifest), copy: sha256(evil) }],
          ['manifest.webmanifest.gz', { plain: sha256(manifest), copy: sha256(good) }],
        ]),
      ),
    );
    const page = loadRelayPage(dir)!;
    assert.deepEqual(Object.keys(page.file('/manifest.webmanifest')!.encoded), ['gzip']);
    assert.deepEqual(page.stale, [join(dir, 'manifest.webmanifest.br')]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('files are read when first asked for: one changed on disk since the start is not sent, nor a copy changed since', () => {
  const dir = builtPage();
  const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  try {
    const css = Buffer.from('body{}');
    const gz = gzipSync(css);
    writeFileSync(join(dir, 'assets', 'a.css.gz'), gz);
    writeFileSync(
      join(dir, PRECOMPRESSED_LIST),
      formatPrecompressedList(new Map([['assets/a.css.gz', { plain: sha256(css), copy: sha256(gz) }]])),
    );
    const page = loadRelayPage(dir)!;
    // Changed after the start, before anyone asked: the printed hash no longer covers it.
    writeFileSync(join(dir, 'assets', 'a.js'), 'console.log("changed")');
    writeFileSync(join(dir, 'assets', 'a.css.gz'), gzipSync('body{color:red}'));
    assert.equal(page.has('/assets/a.js'), true);
    assert.throws(
      () => page.file('/assets/a.js'),
      /a\.js changed since the relay started.*restart the relay/,
    );
    assert.throws(() => page.file('/assets/a.js'), /changed since/, 'and stays refused');
    const served = page.file('/assets/a.css')!;
    assert.deepEqual(served.body, css);
    assert.deepEqual(Object.keys(served.encoded), [], 'the changed copy is not sent');
    assert.match(page.file('/')!.body.toString(), /<script type="module" src="\/assets\/a\.js" integrity=/);
    assert.equal(page.has('/nope.js'), false);
    assert.equal(page.file('/nope.js'), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("without the build's list, no copy is sent: each is named", () => {
  const dir = builtPage();
  try {
    writeFileSync(join(dir, 'assets', 'a.js.br'), brotliCompressSync('console.log(1)'));
    const page = loadRelayPage(dir)!;
    assert.deepEqual(Object.keys(page.file('/assets/a.js')!.encoded), []);
    assert.deepEqual(page.stale, [join(dir, 'assets', 'a.js.br')]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an import map before the module script gives every script its integrity, and the CSP allows only its text', () => {
  const dir = builtPage();
  try {
    // A chunk the page imports on demand: index.html does not name it.
    writeFileSync(join(dir, 'assets', 'lazy.js'), 'export const x = 1;');
    const page = loadRelayPage(dir)!;
    const html = page.file('/')!.body.toString('utf8');
    const m = /<script type="importmap">([^<]*)<\/script><script type="module"/.exec(html);
    assert.ok(m, `the import map right before the module script: ${html}`);
    const { integrity } = JSON.parse(m[1]!) as { integrity: Record<string, string> };
    const sha384 = (s: string) => `sha384-${createHash('sha384').update(s).digest('base64')}`;
    assert.deepEqual(integrity, {
      '/assets/a.js': sha384('console.log(1)'),
      '/assets/lazy.js': sha384('export const x = 1;'),
    });
    const hash = `'sha256-${createHash('sha256').update(m[1]!).digest('base64')}'`;
    assert.match(
      page.headers['content-security-policy']!,
      new RegExp(`script-src 'self' ${hash.replace(/[+/]/g, '\\$&')};`),
    );
    assert.ok(page.paths.includes('/assets/lazy.js'), 'the chunk is served and hashed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
