#!/usr/bin/env node
// Draws every icon the app ships as PNGs with nothing but node:zlib, so they are reproducible from one
// source: `node scripts/make-icons.mjs` rewrites assets/*.png. The glyph is two nodes joined by a link.
// electron-builder makes the macOS .icns, the Windows .ico and the Linux sizes from assets/icon.png.
// The tray files are the ones src-main/electron/tray-icons.ts names (a test checks they all exist).
import { writeFileSync, mkdirSync } from 'node:fs';
import { deflateSync, crc32 } from 'node:zlib';

const out = new URL('../assets/', import.meta.url);
/** Samples per pixel side; 4×4 supersampling gives smooth edges at 16 px. */
const SUPERSAMPLE = 4;
const TEAL = [42, 157, 143];
const NAVY = [20, 33, 61];
/** Attention (a pairing request waits for the owner): amber reads on light and dark task bars. */
const AMBER = [231, 149, 0];
/** Offline (the agent is not running): a neutral grey. */
const GREY = [128, 128, 128];
/** Template images: macOS uses only their alpha, so the colour is irrelevant; black by convention. */
const BLACK = [0, 0, 0];

/** Distance from (x, y) to a node's centre; the two nodes sit at x = 0.25 and 0.75 on the middle line. */
const fromNode = (x, y, cx) => Math.sqrt((x - cx) ** 2 + (y - 0.5) ** 2);
/** Node radius and half the link's thickness, in unit coordinates. */
const NODE_R = 0.19;
const LINK_HALF = 0.07;

/** Online: two solid nodes joined by a link. */
function glyph(x, y) {
  const link = x >= 0.3 && x <= 0.7 && Math.abs(y - 0.5) <= LINK_HALF;
  return fromNode(x, y, 0.25) <= NODE_R || fromNode(x, y, 0.75) <= NODE_R || link;
}

/**
 * Offline: the nodes hollow and no link between them. The shape differs, not only the colour,
 * because a macOS template image keeps nothing but its alpha.
 */
function brokenGlyph(x, y) {
  const ring = (cx) => fromNode(x, y, cx) <= NODE_R && fromNode(x, y, cx) >= 0.1;
  return ring(0.25) || ring(0.75);
}

/** Attention's badge: a dot in the top-right corner, with a clear ring cut out of the glyph around it. */
const BADGE = { cx: 0.8, cy: 0.2, r: 0.17, gap: 0.06 };

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

/** Paints `shape` in `colour`. */
const solid = (shape, colour) => (x, y) => (shape(x, y) ? [...colour, 1] : null);

/** The online glyph in `colour` with the badge in `badgeColour`; the two never touch. */
function withBadge(colour, badgeColour) {
  return (x, y) => {
    const d = Math.sqrt((x - BADGE.cx) ** 2 + (y - BADGE.cy) ** 2);
    if (d <= BADGE.r) return [...badgeColour, 1];
    if (d <= BADGE.r + BADGE.gap) return null;
    return glyph(x, y) ? [...colour, 1] : null;
  };
}

// App icon: the glyph inset on a navy rounded square.
const icon = (x, y) => {
  if (!roundedSquare(x, y, 0.2)) return null;
  return glyph((x - 0.5) / 0.8 + 0.5, (y - 0.5) / 0.8 + 0.5) ? [...TEAL, 1] : [...NAVY, 1];
};

// Tray: "…Template" images for the macOS menu bar; the same shapes in colour for Windows and Linux
// task bars (teal online, amber badge when a request waits, grey offline).
const TRAY = [
  ['trayTemplate', solid(glyph, BLACK)],
  ['trayAttentionTemplate', withBadge(BLACK, BLACK)],
  ['trayOfflineTemplate', solid(brokenGlyph, BLACK)],
  ['tray', solid(glyph, TEAL)],
  ['trayAttention', withBadge(TEAL, AMBER)],
  ['trayOffline', solid(brokenGlyph, GREY)],
];

mkdirSync(out, { recursive: true });
const images = [
  // Each tray image at 1x (16 px) and 2x (32 px), which nativeImage picks on HiDPI screens.
  ...TRAY.flatMap(([name, shade]) => [
    [`${name}.png`, 16, shade],
    [`${name}@2x.png`, 32, shade],
  ]),
  // 512 px is the smallest electron-builder accepts to make every platform's icon from one PNG.
  ['icon.png', 512, icon],
];
for (const [name, size, shade] of images) {
  writeFileSync(new URL(name, out), png(size, render(size, shade)));
  console.log(`assets/${name} ${size}×${size}`);
}
