// Types for scripts/test-slots.mjs (plain JavaScript: the test runner needs no build step).
export declare const FREE_TO_ADD: number;
export declare const SETTLE_MS: number;
export interface SlotState {
  running: number;
  base: number;
  most: number;
  free: number | undefined;
  sinceStartMs: number;
}
export declare function mayStart(s: SlotState): boolean;
export interface CpuSample {
  idle: number;
  total: number;
}
export declare function sampleCpu(): CpuSample;
export declare function freeShare(before: CpuSample, after: CpuSample): number | undefined;
export declare class SlotTimeline {
  record(running: number, busy: number, ms: number): void;
  summary(): string;
}
