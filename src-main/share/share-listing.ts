/**
 * A shared folder's HTML listing: every name escaped for HTML and percent-encoded in its link, so a
 * file named `<script>x</script>.txt` is text on the page, never markup. Pure.
 */
import type { ListedEntry } from './share-open.js';
import { isoTime } from '../core/iso-time.js';

/** `1.5 MiB` style sizes. */
function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  for (; v >= 1024 && i < units.length - 1; i++) v /= 1024;
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

/** `text` with the five characters that mean something in HTML (text or a quoted attribute) escaped. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The listing page of the folder `segments` names, in the share `share`. */
export function listingPage(
  share: string,
  segments: readonly string[],
  entries: readonly ListedEntry[],
  omitted: number,
): string {
  const title = `${share}: /${segments.join('/')}${segments.length > 0 ? '/' : ''}`;
  const rows: string[] = [];
  if (segments.length > 0) rows.push('<tr><td><a href="../">../</a></td><td></td><td></td></tr>');
  for (const e of entries) {
    // Relative links: the page is always served at the folder's own path, ending in `/`.
    const href = encodeURIComponent(e.name) + (e.folder ? '/' : '');
    const shown = escapeHtml(e.name + (e.folder ? '/' : ''));
    const size = e.folder ? '' : escapeHtml(formatBytes(e.size));
    const when = escapeHtml(isoTime(e.mtimeMs).slice(0, 16).replace('T', ' '));
    rows.push(`<tr><td><a href="${escapeHtml(href)}">${shown}</a></td><td>${size}</td><td>${when}</td></tr>`);
  }
  const more = omitted > 0 ? `<p>${omitted} more not listed.</p>` : '';
  return `<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escapeHtml(title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:1.5em}td{padding:.15em 1.2em .15em 0}td:nth-child(2){text-align:right}</style>
</head><body><h1>${escapeHtml(title)}</h1>
<table>${rows.join('\n')}</table>${more}
<p><small>Shared with Clawbridge, read only.</small></p>
</body></html>
`;
}
