// Types for scripts/domain-folders.mjs (plain JavaScript, so that eslint.config.js can import it).
export declare function domainFolders(): string[];
