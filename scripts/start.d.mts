// Types for scripts/start.mjs (plain JavaScript, so that `npm start` needs no build step to begin).
export declare const MIN_NODE_FOR_ELECTRON: string;
export declare const DOWNLOAD_TIMEOUT_MS: number;
export declare function versionAtLeast(version: string, min: string): boolean;
export declare function electronBinary(electronDir: string, env?: NodeJS.ProcessEnv): string | undefined;
export interface StartFacts {
  nodeVersion: string;
  electronPackage: boolean;
  binary: string | undefined;
  downloadError: string | undefined;
}
export type StartStep =
  { action: 'run'; binary: string } | { action: 'download' } | { action: 'fail'; line: string };
export declare function nextStep(facts: StartFacts): StartStep;
