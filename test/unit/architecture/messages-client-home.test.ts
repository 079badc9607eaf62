/**
 * The messages client (send and wait, ask, listen, serve) is the messages domain's client side, not
 * part of the vocabulary every layer speaks: it lives in messages/client/, and only the messages
 * domain and the entry points (cli/, electron/) import it. The package's client library is built from
 * there too (package.json exports, tsconfig.client.json).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const src = path.join(root, 'src-main');

/** Every .ts file under src-main/, as a path relative to it. */
function sources(): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(path.join(src, rel), { withFileTypes: true })) {
      const next = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(next);
      else if (e.name.endsWith('.ts')) out.push(next);
    }
  };
  walk('');
  return out;
}

/** The files under src-main/ that `file` imports (static or dynamic, types included). */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(src, file), 'utf8');
  return [...text.matchAll(/(?:from|import\()\s*'(\.[^']+)'/g)].map((m) =>
    path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1]!)),
  );
}

test('the messages client is defined in messages/client/', () => {
  const defining = sources().filter((f) =>
    /export class (MessagesClient|AgentClient|SendBatcher)\b/.test(readFileSync(path.join(src, f), 'utf8')),
  );
  assert.deepEqual(
    defining.filter((f) => !f.startsWith('messages/client/')),
    [],
    'the messages client lives with the messages domain',
  );
  assert.equal(defining.length, 3);
});

test('only the messages domain, cli/ and electron/ import messages/client/', () => {
  const allowed = ['messages/', 'cli/', 'electron/'];
  const outsiders = sources().filter(
    (f) =>
      !allowed.some((a) => f.startsWith(a)) && importsOf(f).some((i) => i.startsWith('messages/client/')),
  );
  assert.deepEqual(outsiders, []);
});

test("the package's client library is built from messages/client/", () => {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    exports: Record<string, { types: string; default: string }>;
  };
  assert.equal(pkg.exports['./client']?.default, './dist/src-main/messages/client/agent-client.js');
  assert.equal(pkg.exports['./client']?.types, './dist/src-main/messages/client/agent-client.d.ts');
  const tsconfig = JSON.parse(readFileSync(path.join(root, 'tsconfig.client.json'), 'utf8')) as {
    files: string[];
  };
  assert.deepEqual(tsconfig.files, ['src-main/messages/client/agent-client.ts']);
});
