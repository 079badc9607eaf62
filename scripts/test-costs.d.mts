// Types for scripts/test-costs.mjs (plain JavaScript: the test runner needs no build step).
export declare const SLOWEST: number;
export declare function reapedTicks(stat: string): number;
export declare function ticksPerSecond(): number;
export declare function reapedCpuReader(): (() => number) | undefined;
export interface Reaped {
  cpu: number;
  reapedWith: string[];
  countedIn?: string;
}
export declare function cpuLedger(start: number): {
  reaped(name: string, reading: number, turn: number): Reaped;
};
export interface Cost {
  name: string;
  seconds: number;
  cpu: number | undefined;
  reapedWith?: string[];
  countedIn?: string;
}
export declare function slowestReport(costs: Cost[], n?: number): string[];
