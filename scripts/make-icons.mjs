#!/usr/bin/env node
// Draws the tray and app icons as PNGs with nothing but node:zlib, so the icons are reproducible from
// source: `node scripts/make-icons.mjs` rewrites assets/*.png. The glyph is two nodes joined by a link.
import { writeFileSync, mkdirSync } from 'node:fs';
import { deflateSync, crc32 } from 'node:zlib';

const out = new URL('../assets/', import.meta.url);
/** Samples per pixel side; 4×4 supersampling gives smooth edges at 16 px. */
const SUPERSAMPLE = 4;
const TEAL = [42, 157, 143];
const NAVY = [20, 33, 61];

/** The glyph in unit coordinates: true when (x, y) is inside one of the two nodes or the link. */
function glyph(x, y) {
  const node = (cx) => (x - cx) ** 2 + (y - 0.5) ** 2 <= 0.19 ** 2;
  const link = x >= 0.3 && x <= 0.7 && Math.abs(y - 0.5) <= 0.07;
  return node(0.25) || node(0.75) || link;
}

/** True inside a rounded square with corner radius `r`, in unit coordinates. */
function roundedSquare(x, y, r) {
  const dx = Math.max(r - x, x - (1 - r), 0);
  const dy = Math.max(r - y, y - (1 - r), 0);
  return dx * dx + dy * dy <= r * r;
}

/** Renders `shade(x, y) → [r, g, b, a] | null` at `size` px with supersampling; returns RGBA bytes. */
function render(size, shade) {
  const rgba = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const acc = [0, 0, 0, 0];
      for (let s = 0; s < SUPERSAMPLE * SUPERSAMPLE; s++) {
        const x = (px + ((s % SUPERSAMPLE) + 0.5) / SUPERSAMPLE) / size;
        const y = (py + (Math.floor(s / SUPERSAMPLE) + 0.5) / SUPERSAMPLE) / size;
        const c = shade(x, y);
        if (!c) continue;
        for (let i = 0; i < 3; i++) acc[i] += c[i] * c[3];
        acc[3] += c[3];
      }
      const o = (py * size + px) * 4;
      const n = SUPERSAMPLE * SUPERSAMPLE;
      for (let i = 0; i < 3; i++) rgba[o + i] = acc[3] ? Math.round(acc[i] / acc[3]) : 0;
      rgba[o + 3] = Math.round((acc[3] / n) * 255);
    }
  }
  return rgba;
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** Encodes RGBA bytes as an 8-bit truecolour-with-alpha PNG (filter 0 on every row). */
function png(size, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) rgba.copy(rows, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  const signature = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);
  return Buffer.concat([
    signature,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// Tray: the glyph alone. macOS uses only the alpha of a "Template" image; elsewhere teal shows on both
// light and dark task bars.
const tray = (x, y) => (glyph(x, y) ? [...TEAL, 1] : null);
// App icon: the glyph inset on a navy rounded square.
const icon = (x, y) => {
  if (!roundedSquare(x, y, 0.2)) return null;
  return glyph((x - 0.5) / 0.8 + 0.5, (y - 0.5) / 0.8 + 0.5) ? [...TEAL, 1] : [...NAVY, 1];
};

mkdirSync(out, { recursive: true });
for (const [name, size, shade] of [
  ['trayTemplate.png', 16, tray],
  ['trayTemplate@2x.png', 32, tray],
  ['icon.png', 512, icon],
]) {
  writeFileSync(new URL(name, out), png(size, render(size, shade)));
  console.log(`assets/${name} ${size}×${size}`);
}
