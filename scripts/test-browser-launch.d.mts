// Types for scripts/test-browser-launch.mjs (plain JavaScript: the test runner needs no build step).
export declare const SHARED_BROWSER_ENV: string;
export declare const PLAYWRIGHT_DISABLED_FEATURES: string[];
export declare const UNSHOWN_WEBUI_FEATURES: string[];
export declare function launchOptions(executablePath: string): { executablePath: string; args: string[] };
export declare function droppedFeatures(): string | null;
