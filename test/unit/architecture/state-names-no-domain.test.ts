/**
 * `state/` holds the node's generic storage, no domain's logic (issue 84 item 3, ADR 0117): no file
 * in src-main/state/ and no name it exports is named after a domain of app/domains.ts — its folder, its
 * name or the prefix of its methods (`groups` of `groups.list`, `forward` of `forward.add`). A domain's
 * logic lives in its folder; a piece of storage a domain uses is generic and reached through an
 * interface. Names are compared as words (`group-view.ts` → group, view; `groupsView` → groups, view),
 * so `GroupsView` names the groups domain and `settingsFile` names none.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { domains } from '../../../src-main/app/domains.js';

const stateDir = fileURLToPath(new URL('../../../src-main/state/', import.meta.url));

/** A name's words, lower case: kebab, snake and camel case split (`MAX_GROUP_LINES` → max, group, lines). */
function wordsOf(name: string): string[] {
  return name
    .replace(/\.[cm]?ts$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

/** Each domain's names, as runs of words (`group-members` → [group, members]). */
const domainNames = domains.map((d) => ({
  folder: d.folder,
  names: [
    ...new Set([
      d.folder,
      d.name,
      ...[...Object.keys(d.contract.methods ?? {}), ...Object.keys(d.contract.streams ?? {})].map(
        (m) => m.split('.')[0]!,
      ),
    ]),
  ].map(wordsOf),
}));

/** The domains `name` is named after: one of a domain's names appears in it as consecutive words. */
function domainsNamedBy(name: string): string[] {
  const words = wordsOf(name);
  const has = (run: string[]) => words.some((_, i) => run.every((w, j) => words[i + j] === w));
  return domainNames.filter((d) => d.names.some(has)).map((d) => d.folder);
}

/** The names a module exports at its top level (declarations and `export { … }` lists). */
function exportedNames(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out: string[] = [];
  for (const s of source.statements) {
    if (ts.isExportDeclaration(s) && s.exportClause && ts.isNamedExports(s.exportClause)) {
      for (const e of s.exportClause.elements) out.push(e.name.text);
      continue;
    }
    const exported =
      ts.canHaveModifiers(s) && ts.getModifiers(s)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
    if (!exported) continue;
    if (ts.isVariableStatement(s)) {
      for (const d of s.declarationList.declarations) if (ts.isIdentifier(d.name)) out.push(d.name.text);
    } else if (
      (ts.isFunctionDeclaration(s) ||
        ts.isClassDeclaration(s) ||
        ts.isInterfaceDeclaration(s) ||
        ts.isTypeAliasDeclaration(s) ||
        ts.isEnumDeclaration(s)) &&
      s.name
    ) {
      out.push(s.name.text);
    }
  }
  return out;
}

/** What in `file` (its name and exports) names a domain, one line each. */
function offencesIn(file: string, text: string): string[] {
  const said = (what: string) => {
    const named = domainsNamedBy(what);
    return named.length ? [`${named.join(' and ')} (${named.length > 1 ? 'domains' : 'domain'})`] : [];
  };
  return [
    ...said(file).map((d) => `state/${file}: the file is named after ${d}`),
    ...exportedNames(file, text).flatMap((n) =>
      said(n).map((d) => `state/${file}: exports ${n}, named after ${d}`),
    ),
  ];
}

test('the check sees a domain in a file name and in an exported name, and not in a generic word', () => {
  // groups.* is the prefix of both groups' and group-members' methods.
  const groups = ['groups', 'group-members'];
  assert.deepEqual(domainsNamedBy('groups.ts'), groups, 'a file named after the groups domain');
  assert.deepEqual(domainsNamedBy('GroupsView'), groups, 'a type named after the groups domain');
  assert.deepEqual(domainsNamedBy('settleGroups'), groups, 'a function named after the groups domain');
  assert.deepEqual(
    domainsNamedBy('group-members-log.ts'),
    ['group-members'],
    'a file named after the group-members domain (two words in a row)',
  );
  assert.deepEqual(
    domainsNamedBy('MAX_FORWARDS'),
    ['forwards'],
    'a constant named after the forwards domain',
  );
  for (const generic of [
    'settings-file.ts',
    'PendingBacking',
    'memberLogFile',
    'NodeState',
    'MembershipPlan',
  ])
    assert.deepEqual(domainsNamedBy(generic), [], `${generic} names no domain`);
  assert.deepEqual(
    offencesIn(
      'groups.ts',
      'export interface GroupsView {}\nexport const x = 1;\nexport { y as settleGroups };',
    ),
    [
      'state/groups.ts: the file is named after groups and group-members (domains)',
      'state/groups.ts: exports GroupsView, named after groups and group-members (domains)',
      'state/groups.ts: exports settleGroups, named after groups and group-members (domains)',
    ],
    'the old state/groups.ts would be named',
  );
});

test('no file in src-main/state/ and no name it exports is named after a domain of app/domains.ts', () => {
  const offences = readdirSync(stateDir)
    .filter((f) => /\.(ts|cts)$/.test(f))
    .flatMap((f) => offencesIn(f, readFileSync(path.join(stateDir, f), 'utf8')));
  assert.deepEqual(offences, [], "state/ names a domain: move that domain's logic into its folder");
});
