/**
 * Precompresses what a page build wrote (ADR 0107): beside each text file (`x.js`) its brotli and gzip
 * forms (`x.js.br`, `x.js.gz`), at their best settings, once per build rather than per request. The
 * relay (relay/page.ts) and the agent's web UI (api/web-ui/static-files.ts) send the form a browser
 * accepts. A form is kept only when it is at least a tenth smaller: below that the header and the
 * decoding cost more than they save. Images and fonts are compressed already and left alone. What
 * each copy encodes goes in the build's list of them (src-main/core/precompressed-list.ts), which
 * the relay checks a copy against instead of decoding it.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { Plugin } from 'vite';
import {
  formatPrecompressedList,
  PRECOMPRESSED_LIST,
  type PrecompressedCopy,
} from '../src-main/core/precompressed-list.js';

const COMPRESSIBLE = /\.(?:js|mjs|css|html|svg|json|webmanifest|txt)$/;
const brotli = promisify(brotliCompress);
const gzipped = promisify(gzip);

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Writes `name`'s compressed forms beside it; returns each form written (its name) with its hashes. */
async function precompress(dir: string, name: string): Promise<[string, PrecompressedCopy][]> {
  const path = join(dir, name);
  const body = await readFile(path);
  const forms: [string, Buffer][] = [
    [
      '.br',
      await brotli(body, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
          [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
        },
      }),
    ],
    ['.gz', await gzipped(body, { level: constants.Z_BEST_COMPRESSION })],
  ];
  const written: [string, PrecompressedCopy][] = [];
  for (const [suffix, bytes] of forms) {
    if (bytes.length > body.length * 0.9) continue;
    await writeFile(path + suffix, bytes);
    written.push([`${name}${suffix}`, { plain: sha256(body), copy: sha256(bytes) }]);
  }
  return written;
}

/** The plugin: after the bundle is written, every text file it holds gets its compressed forms. */
export function precompressPlugin(): Plugin {
  return {
    name: 'clawbridge-precompress',
    apply: 'build',
    async writeBundle(options, bundle) {
      const dir = options.dir!;
      const names = Object.keys(bundle).filter((name) => COMPRESSIBLE.test(name));
      const copies = await Promise.all(names.map((name) => precompress(dir, name)));
      await writeFile(join(dir, PRECOMPRESSED_LIST), formatPrecompressedList(new Map(copies.flat())));
    },
  };
}
