/**
 * Temp directories for unit tests that are removed when the test file's process exits, so a test run
 * leaves nothing behind in the temp directory (integration tests use tempHome and stopAll instead).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

function removeAll(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A fresh directory `<tmp>/<prefix>XXXXXX`, removed when this process exits. */
export function tempDir(prefix: string): string {
  if (made.length === 0) process.once('exit', removeAll);
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
