// Types for scripts/stand-in-electron.mjs (plain JavaScript, so it runs before anything is built).
export declare const FUSE_SENTINEL: string;
export declare const DEFAULT_FUSE_WIRE: string;
export declare function standInBinary(wire?: string): Buffer;
export declare function readFuseWire(binary: Buffer): string | undefined;
export declare function writeStandInElectron(dir: string): string;
