/**
 * A write past the file size limit (`ulimit -f`, a quota set that way) raises SIGXFSZ, whose default
 * ends the process: an agent killed in the middle of a settings save, or a first start killed between
 * writing its key and its certificate. With a handler the write fails with EFBIG instead, and the code
 * that made it cleans up and says so (durable-file.ts, identity-store.ts).
 */
export function failWritesPastTheFileSizeLimit(): void {
  if (process.platform !== 'win32') process.on('SIGXFSZ', () => undefined);
}
