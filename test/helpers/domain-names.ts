/**
 * What a source file names of other domains, read from its syntax tree (TypeScript's parser), for
 * test/unit/architecture/domain-names.test.ts: a name counts where the code uses it as that domain's
 * name — an import from its folder, one of its dotted names as a string, one of its words where a
 * permission or an event is named, one of its kinds where a kind is named, one of its settings
 * sections where the settings are read or written — and nowhere else, so comments, a WebSocket's
 * `message` event or a `plan.notes` property name nothing (ADR 0111).
 */
import path from 'node:path';
import ts from 'typescript';

/** What a domain brings that names it (its contract piece's, and its name and folder). */
export interface Vocabulary {
  folder: string;
  /** Its dotted method, stream and event names, and its connection kinds: a string of one names it. */
  dotted: Set<string>;
  /** Its permission words and undotted event names: named where a permission or an event is. */
  words: Set<string>;
  /** What names the domain where a kind is named. */
  kinds: Set<string>;
  /** Its sections of the settings (ContractPiece.settings). */
  sections: Set<string>;
}

/** A name of the callee, the object or the other operand that makes a string there a permission or an event. */
const PERMISSION_OR_EVENT = /allow|permission|^emit$|\.emit$|^ApiEvents$/i;
/** A value read from the store is the settings (NodeState.get() in a part named state). */
const SETTINGS_NAME = /(^|\.)settings$/i;

/** The node and its ancestors up to the statement (or member) it is part of. */
function upToStatement(node: ts.Node): ts.Node[] {
  const chain: ts.Node[] = [];
  for (let at: ts.Node | undefined = node; at && !ts.isSourceFile(at); at = at.parent) {
    chain.push(at);
    const parent = at.parent;
    if (ts.isBlock(parent) || ts.isSourceFile(parent) || ts.isModuleBlock(parent) || ts.isCaseClause(parent))
      break;
  }
  return chain;
}

const textOf = (node: ts.Node, file: ts.SourceFile) => node.getText(file);

/** The other operand of `x === 'lit'` (or `!==`), when `node` is one side of such a comparison. */
function comparedWith(node: ts.Node, parent: ts.Node): ts.Expression | undefined {
  if (!ts.isBinaryExpression(parent)) return undefined;
  const op = parent.operatorToken.kind;
  if (op !== ts.SyntaxKind.EqualsEqualsEqualsToken && op !== ts.SyntaxKind.ExclamationEqualsEqualsToken)
    return undefined;
  return parent.left === node ? parent.right : parent.right === node ? parent.left : undefined;
}

/** The string `lit` sits where a permission or an event is named. */
function inPermissionOrEvent(lit: ts.Node, file: ts.SourceFile): boolean {
  let child: ts.Node = lit;
  for (const at of upToStatement(lit).slice(1)) {
    if (ts.isCallExpression(at) && at.arguments.some((a) => a === child)) {
      const callee = textOf(at.expression, file);
      if (/allow|permission/i.test(callee) || /(^|\.)emit$/.test(callee)) return true;
    }
    if ((ts.isElementAccessExpression(at) || ts.isIndexedAccessTypeNode(at)) && child !== at) {
      const object = ts.isElementAccessExpression(at) ? at.expression : at.objectType;
      if (PERMISSION_OR_EVENT.test(textOf(object, file))) return true;
    }
    const other = comparedWith(child, at);
    if (other && /(^|\.)event$/.test(textOf(other, file))) return true;
    if (
      (ts.isPropertyAssignment(at) || ts.isVariableDeclaration(at) || ts.isPropertySignature(at)) &&
      /allow|permission/i.test(textOf(at.name, file))
    )
      return true;
    if (ts.isTypeReferenceNode(at) && /Permission/.test(textOf(at.typeName, file))) return true;
    child = at;
  }
  return false;
}

/** The string `lit` sits where a kind is named: `kind: 'x'`, `kind === 'x'`, `z.literal('x')`, `Change<'x'`. */
function inKind(lit: ts.Node, file: ts.SourceFile): boolean {
  let child: ts.Node = lit;
  for (const at of upToStatement(lit).slice(1)) {
    if ((ts.isPropertyAssignment(at) || ts.isPropertySignature(at)) && textOf(at.name, file) === 'kind')
      return true;
    const other = comparedWith(child, at);
    if (other && /(^|\.)kind$/.test(textOf(other, file))) return true;
    if (ts.isCallExpression(at) && /(^|\.)literal$/.test(textOf(at.expression, file))) return true;
    if (
      ts.isTypeReferenceNode(at) &&
      textOf(at.typeName, file) === 'Change' &&
      at.typeArguments?.[0] === child
    )
      return true;
    child = at;
  }
  return false;
}

/** The string `lit` sits in a type or an access of the settings: `Omit<Settings, 'x'>`, `Settings['x']`. */
function inSettingsType(lit: ts.Node, file: ts.SourceFile): boolean {
  return upToStatement(lit)
    .slice(1)
    .some(
      (at) =>
        (ts.isTypeReferenceNode(at) || ts.isIndexedAccessTypeNode(at)) &&
        /\bSettings\b/.test(textOf(at, file)),
    );
}

/**
 * The expression is the settings: a name that says so (`settings`, `ctx.settings`), the store's
 * `get()` (`state.get()`), or a name this file declares as them (`s: Settings`, `const s = state.get()`).
 */
function isSettings(expr: ts.Expression, file: ts.SourceFile, declaredAsSettings: Set<string>): boolean {
  const text = textOf(expr, file);
  if (SETTINGS_NAME.test(text)) return true;
  if (ts.isCallExpression(expr) && /(^|\.)state\.get$/i.test(textOf(expr.expression, file))) return true;
  return ts.isIdentifier(expr) && declaredAsSettings.has(expr.text);
}

/** The names `file` declares with a type that names Settings, or as the store's `get()`. */
function settingsNames(file: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  const visit = (node: ts.Node): void => {
    if ((ts.isVariableDeclaration(node) || ts.isParameter(node)) && ts.isIdentifier(node.name)) {
      const typed = node.type && /\bSettings\b/.test(textOf(node.type, file));
      const read = node.initializer && /(^|\.)state\.get\(\)$/i.test(textOf(node.initializer, file));
      if (typed || read) names.add(node.name.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return names;
}

/**
 * What `file` (a path under src-main/) names, in `text`, of the domains in `others`: `line N: what`,
 * in the order of the text, each once.
 */
export function namedIn(file: string, text: string, others: readonly Vocabulary[]): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const declaredAsSettings = settingsNames(source);
  const found: { at: number; what: string }[] = [];
  const add = (node: ts.Node, what: string) => found.push({ at: node.getStart(source), what });
  const owner = (set: (v: Vocabulary) => Set<string>, name: string) => others.find((v) => set(v).has(name));

  const visitImport = (node: ts.Node, specifier: ts.Node | undefined) => {
    if (!specifier || !ts.isStringLiteral(specifier) || !specifier.text.startsWith('.')) return;
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier.text));
    if (others.some((v) => v.folder === target.split('/')[0])) add(node, `imports ${specifier.text}`);
  };

  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) visitImport(node, node.moduleSpecifier);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword)
      visitImport(node, node.arguments[0]);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument))
      visitImport(node, node.argument.literal);
    else if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
      const name = node.text;
      const dotted = owner((v) => v.dotted, name);
      if (dotted) add(node, `'${name}' (${dotted.folder})`);
      const word = owner((v) => v.words, name);
      if (word && inPermissionOrEvent(node, source)) add(node, `'${name}' (${word.folder})`);
      for (const v of others.filter((o) => o.kinds.has(name))) {
        if (inKind(node, source)) add(node, `kind '${name}' (${v.folder})`);
        if (inSettingsType(node, source)) add(node, `settings' '${name}' (${v.folder})`);
      }
      const section = owner((v) => v.sections, name);
      if (section) add(node, `settings' ${name} (${section.folder})`);
    } else if (ts.isPropertyAccessExpression(node)) {
      const section = owner((v) => v.sections, node.name.text);
      if (section && isSettings(node.expression, source, declaredAsSettings))
        add(node.name, `settings' ${node.name.text} (${section.folder})`);
    } else if (
      (ts.isPropertyAssignment(node) ||
        ts.isShorthandPropertyAssignment(node) ||
        ts.isPropertySignature(node)) &&
      ts.isIdentifier(node.name)
    ) {
      const section = owner((v) => v.sections, node.name.text);
      if (section) add(node.name, `settings' ${node.name.text} (${section.folder})`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);

  return found
    .sort((a, b) => a.at - b.at)
    .map(({ at, what }) => `line ${source.getLineAndCharacterOfPosition(at).line + 1}: ${what}`)
    .filter((line, i, all) => all.indexOf(line) === i);
}
