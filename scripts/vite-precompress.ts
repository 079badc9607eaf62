/**
 * Precompresses what a page build wrote (ADR 0107): beside each text file (`x.js`) its brotli and gzip
 * forms (`x.js.br`, `x.js.gz`), at their best settings, once per build rather than per request. The
 * relay (relay/page.ts) and the agent's web UI (api/web-ui/static-files.ts) send the form a browser
 * accepts. A form is kept only when it is at least a tenth smaller: below that the header and the
 * decoding cost more than they save. Images and fonts are compressed already and left alone.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { Plugin } from 'vite';

const COMPRESSIBLE = /\.(?:js|mjs|css|html|svg|json|webmanifest|txt)$/;
const brotli = promisify(brotliCompress);
const gzipped = promisify(gzip);

async function precompress(path: string): Promise<void> {
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
  for (const [suffix, bytes] of forms)
    if (bytes.length <= body.length * 0.9) await writeFile(path + suffix, bytes);
}

/** The plugin: after the bundle is written, every text file it holds gets its compressed forms. */
export function precompressPlugin(): Plugin {
  return {
    name: 'clawbridge-precompress',
    apply: 'build',
    async writeBundle(options, bundle) {
      const dir = options.dir!;
      const names = Object.keys(bundle).filter((name) => COMPRESSIBLE.test(name));
      await Promise.all(names.map((name) => precompress(join(dir, name))));
    },
  };
}
