/**
 * Signed records travel as JSON lines (the `members` exchange, protocol/member-records.ts, and the
 * group records, protocol/group-records.ts): one record a line, bounded in bytes, checked against its
 * schema, refused with a reason and never a throw. Pure.
 */
import type { z } from 'zod';

/** One line as sent: the record's JSON and a newline. */
export function encodeRecordLine(record: object): Buffer {
  return Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
}

/** One received line (without its newline) as a record of `schema`, or why it is none. Never throws. */
export function decodeRecordLine<T>(
  line: string,
  maxBytes: number,
  schema: z.ZodType<T>,
): { record: T } | { problem: string } {
  if (Buffer.byteLength(line, 'utf8') > maxBytes)
    return { problem: `a record longer than ${maxBytes} bytes` };
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { problem: 'a line that is not JSON' };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { problem: `a malformed record (${issue?.path.join('.') || 'record'}: ${issue?.message ?? '?'})` };
  }
  return { record: parsed.data };
}
