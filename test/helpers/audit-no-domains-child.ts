/**
 * Child for audit-domain-kinds.test.ts: a process that built no contract (no domain brought its
 * audit kinds) reads the audit log of the home in argv[2] and prints the kinds it read and the lines
 * it skipped.
 */
import { readAudit } from '../../src-main/audit/audit-reader.js';

const read = await readAudit(process.argv[2]!);
process.stdout.write(JSON.stringify({ kinds: read.events.map((e) => e.kind), bad: read.bad }));
