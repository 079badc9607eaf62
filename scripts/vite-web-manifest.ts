/**
 * The page's web app manifest (src-web/window/web-manifest.json), written to the root of the build
 * with its icons pointing at the icon files the build named by their hash: index.html links the same
 * `/assets/icon-512-<hash>.png` as its favicon, so the browser fetches the icon once and then holds it
 * for a year, where a fixed `/icon-512.png` had to be fetched again on every visit (ADR 0107). The
 * manifest keeps its fixed name: a browser re-reads it to see whether an installed app changed.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Plugin } from 'vite';

interface Manifest {
  icons?: { src: string }[];
}

export function webManifestPlugin(source: string): Plugin {
  return {
    name: 'clawbridge-web-manifest',
    apply: 'build',
    generateBundle(_options, bundle) {
      const manifest = JSON.parse(readFileSync(source, 'utf8')) as Manifest;
      for (const icon of manifest.icons ?? []) {
        const name = basename(icon.src);
        const emitted = Object.values(bundle).find(
          (out) => out.type === 'asset' && out.originalFileNames.some((o) => basename(o) === name),
        );
        if (!emitted)
          this.error(`the manifest's icon ${icon.src} is not in the build: link it from index.html`);
        icon.src = `/${emitted.fileName}`;
      }
      this.emitFile({
        type: 'asset',
        fileName: 'manifest.webmanifest',
        source: JSON.stringify(manifest, null, 2) + '\n',
      });
    },
  };
}
