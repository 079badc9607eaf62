// Types for scripts/test-browser.mjs (plain JavaScript: the test runner needs no build step).
export { SHARED_BROWSER_ENV } from './test-browser-launch.mjs';
export declare const BROWSER_LINE: string;
export declare function needsBrowser(root: string, files: string[]): boolean;
export interface SharedBrowser {
  env(): Record<string, string>;
  notes(since: number): string;
  close(): Promise<{ name: string; seconds: number; cpu: number | undefined }>;
}
export declare function startSharedBrowser(o: {
  root: string;
  env: NodeJS.ProcessEnv;
  reaped: () => number | undefined;
}): Promise<SharedBrowser | undefined>;
export declare function browserLine(
  browser: { name: string; cpu: number | undefined },
  files: { cpu: number | undefined }[],
): string;
