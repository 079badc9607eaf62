// Types for scripts/static-programs.mjs (plain JavaScript: run by node without a build step).
import type ts from 'typescript';

export declare const CONFIGS: readonly string[];
export declare function parseConfig(root: string, config: string): ts.ParsedCommandLine;
export declare function programOf(root: string, config: string): ts.Program;
