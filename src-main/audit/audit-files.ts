/**
 * Where the audit log lives in a node's home, and its rotated files: `audit.log` is written,
 * `audit.log.1` is the one before it, up to `audit.log.<keep>` (the oldest).
 */
import { join } from 'node:path';

export const AUDIT_FILE = 'audit.log';
/** Size at which the current file is rotated (5 MiB). */
export const AUDIT_MAX_BYTES = 5 * 1024 * 1024;
/** Rotated files kept besides the current one. */
export const AUDIT_KEEP = 3;

export function auditPath(home: string): string {
  return join(home, AUDIT_FILE);
}

/** Every file of the log, oldest first (the rotated ones, then the current file). */
export function auditFiles(home: string, keep = AUDIT_KEEP): string[] {
  const current = auditPath(home);
  const rotated = Array.from({ length: keep }, (_, i) => `${current}.${keep - i}`);
  return [...rotated, current];
}
