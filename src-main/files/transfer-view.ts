/**
 * What both sides of the `files` service show of a transfer: its view (the API's TransferInfo), how
 * many a side keeps listing, and the meter behind its rate.
 */
import type { TransferInfo } from './files-contract.js';

/** Most transfers `files.transfers` keeps listing per direction (finished ones go first). */
export const KEPT_TRANSFERS = 200;

/** A transfer as the API shows it (files/files-contract.ts). */
export type TransferView = TransferInfo;

/** Feeds a rate over a sliding window of a few seconds. */
export class RateMeter {
  private samples: Array<[number, number]> = [];
  constructor(private readonly now: () => number = Date.now) {}
  add(bytes: number): void {
    const t = this.now();
    this.samples.push([t, bytes]);
    while (this.samples.length > 0 && t - this.samples[0]![0] > 5000) this.samples.shift();
  }
  /** Bytes per second. */
  rate(): number {
    if (this.samples.length < 2) return 0;
    const span = (this.now() - this.samples[0]![0]) / 1000;
    const sum = this.samples.reduce((n, [, b]) => n + b, 0);
    return span > 0 ? Math.round(sum / Math.max(span, 0.25)) : 0;
  }
}
