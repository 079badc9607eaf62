/**
 * Where the audit log lives in a node's home, and its rotated files: `audit.log` is written,
 * `audit.log.1` is the one before it, up to `audit.log.<keep>` (the oldest). Refusals have a file of
 * their own, `audit-refusals.log` (audit-noise.ts), rotated apart, so they never push out the rest.
 */
import { join } from 'node:path';

export const AUDIT_FILE = 'audit.log';
/** Size at which the current file is rotated (5 MiB). */
export const AUDIT_MAX_BYTES = 5 * 1024 * 1024;
/** Rotated files kept besides the current one. */
export const AUDIT_KEEP = 3;

/** The refusals' file (audit-noise.ts). */
export const AUDIT_REFUSALS_FILE = 'audit-refusals.log';
/** Size at which the refusals' file is rotated (5 MiB: half an hour of the most audit-noise.ts lets through). */
export const AUDIT_REFUSALS_MAX_BYTES = 5 * 1024 * 1024;
/** Rotated refusals' files kept besides the current one. */
export const AUDIT_REFUSALS_KEEP = 1;

export function auditPath(home: string): string {
  return join(home, AUDIT_FILE);
}

export function auditRefusalsPath(home: string): string {
  return join(home, AUDIT_REFUSALS_FILE);
}

/** `current` and its rotated files, oldest first. */
export function rotatedFiles(current: string, keep: number): string[] {
  const rotated = Array.from({ length: keep }, (_, i) => `${current}.${keep - i}`);
  return [...rotated, current];
}

/** Every file of the log, oldest first (the rotated ones, then the current file). */
export function auditFiles(home: string, keep = AUDIT_KEEP): string[] {
  return rotatedFiles(auditPath(home), keep);
}

/** Every file of the refusals' log, oldest first. */
export function auditRefusalFiles(home: string): string[] {
  return rotatedFiles(auditRefusalsPath(home), AUDIT_REFUSALS_KEEP);
}
