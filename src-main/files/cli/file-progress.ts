/**
 * The progress line `file send` and `file receive` draw (a bar, percent, bytes, rate, ETA, files).
 */
import { formatBytes } from '../../cli/format-bytes.js';
import type { TransferInfo } from '../files-contract.js';

/** Width of the progress bar, in cells. */
export const BAR_CELLS = 24;

/** `m:ss` or `h:mm:ss`. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** One progress line: bar, percent, bytes, rate, ETA, files. */
export function progressLine(t: TransferInfo, cells = BAR_CELLS): string {
  const frac = t.bytes > 0 ? Math.min(1, t.bytesDone / t.bytes) : t.files > 0 ? t.filesDone / t.files : 1;
  const full = Math.round(frac * cells);
  const bar = `[${'#'.repeat(full)}${'-'.repeat(cells - full)}]`;
  const rate = t.rate > 0 ? `${formatBytes(t.rate)}/s` : '-';
  const eta = t.rate > 0 ? clock((t.bytes - t.bytesDone) / t.rate) : '-';
  return `${bar} ${String(Math.floor(frac * 100)).padStart(3)}%  ${formatBytes(t.bytesDone)}/${formatBytes(t.bytes)}  ${rate}  ETA ${eta}  files ${t.filesDone}/${t.files}`;
}
