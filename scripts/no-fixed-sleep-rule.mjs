// @ts-check
// The lint rule that refuses a fixed sleep in tests (docs/testing.md §Waiting), plain JavaScript so that
// eslint.config.js can load it. A test waits for what it can observe with `until`; where time itself is
// tested, `sleep(ms, why)` (test/helpers/wait.ts) says why, or an eslint-disable-next-line comment does.
//
// A selector cannot tell a sleep from a timeout: `setTimeout(() => r(), ms)` sleeps when `r` resolves
// the promise around it, and `const delay = setTimeout` from timers/promises is a sleep under any name.
// So this rule follows names to where they were bound (ESLint's scope analysis):
// - a timer started with a promise's resolve as its callback, or a callback that only calls it, inside
//   that promise's executor at any depth, when nothing else resolves that promise:
//   `new Promise((r) => setTimeout(r, ms))`, `() => r()`, `() => r(value)`, `const t = setTimeout(r, ms)`,
//   `globalThis.setTimeout(r, ms)`;
// - any call of timers/promises' `setTimeout` or `scheduler.wait`, however imported or renamed, and an
//   awaited call of anything named `setTimeout`; `promisify(setTimeout)`;
// - Playwright's `page.waitForTimeout(ms)`.
// A timer whose callback rejects, or resolves a promise that an event resolves too (a deadline: what
// did not happen in time), or re-arms a poll, is no sleep and passes.

const TIMERS_PROMISES = /^(node:)?timers\/promises$/;
/** Objects whose `setTimeout` is the global timer. */
const GLOBAL_OBJECTS = new Set(['globalThis', 'global', 'window', 'self']);

/** @typedef {import('estree').Node} Node */
/** @typedef {import('estree').Expression | import('estree').Super | import('estree').SpreadElement} Callee */
/** @typedef {import('eslint').Scope.Scope} Scope */
/** @typedef {import('eslint').Scope.Variable} Variable */

/** The variable `name` refers to from `scope`, or undefined for an undeclared (global) name. */
function lookUp(/** @type {Scope} */ scope, /** @type {string} */ name) {
  for (let s = /** @type {Scope | null} */ (scope); s; s = s.upper) {
    const v = s.set.get(name);
    if (v) return v.defs.length > 0 ? v : undefined;
  }
  return undefined;
}

/** The module a variable was bound from, and under which name there: imports, and `{ x } = require()`. */
function boundFrom(/** @type {Variable} */ v) {
  const def = v.defs[0];
  if (!def) return undefined;
  if (def.type === 'ImportBinding') {
    const decl = /** @type {import('estree').ImportDeclaration} */ (def.parent);
    const spec = def.node;
    const imported =
      spec.type === 'ImportSpecifier'
        ? spec.imported.type === 'Identifier'
          ? spec.imported.name
          : String(spec.imported.value)
        : '*';
    return { source: String(decl.source.value), imported };
  }
  if (def.type === 'Variable' && def.node.init) {
    let init = /** @type {Node} */ (def.node.init);
    if (init.type === 'AwaitExpression') init = init.argument;
    const source =
      init.type === 'ImportExpression' && init.source.type === 'Literal'
        ? init.source.value
        : init.type === 'CallExpression' &&
            init.callee.type === 'Identifier' &&
            init.callee.name === 'require' &&
            init.arguments[0]?.type === 'Literal'
          ? init.arguments[0].value
          : undefined;
    if (typeof source !== 'string') return undefined;
    const pattern = def.node.id;
    if (pattern.type === 'Identifier') return { source, imported: '*' };
    if (pattern.type === 'ObjectPattern') {
      for (const p of pattern.properties) {
        if (p.type !== 'Property' || p.key.type !== 'Identifier') continue;
        const local = p.value.type === 'AssignmentPattern' ? p.value.left : p.value;
        if (local.type === 'Identifier' && local.name === v.name) return { source, imported: p.key.name };
      }
    }
  }
  return undefined;
}

/** @type {import('eslint').Rule.RuleModule} */
export const noFixedSleep = {
  meta: {
    type: 'problem',
    docs: {
      description: 'refuse a fixed sleep in tests: wait for what can be observed (docs/testing.md §Waiting)',
    },
    schema: [],
    messages: {
      sleep:
        'a fixed sleep is not a way to wait: poll what you wait for with `until` from test/helpers/wait.ts; ' +
        'where time itself is tested, use `sleep(ms, why)` from there or say why in an eslint-disable-next-line comment',
    },
  },
  create(context) {
    const { sourceCode } = context;

    /** What `callee` is: the global callback timer, timers/promises' sleep, or neither. */
    function timerKind(/** @type {Callee} */ callee, /** @type {Node} */ at) {
      const scope = sourceCode.getScope(at);
      if (callee.type === 'Identifier') {
        const v = lookUp(scope, callee.name);
        if (!v) return callee.name === 'setTimeout' ? 'callback' : undefined;
        const from = boundFrom(v);
        return from && TIMERS_PROMISES.test(from.source) && from.imported === 'setTimeout'
          ? 'promise'
          : undefined;
      }
      if (callee.type !== 'MemberExpression' || callee.computed || callee.property.type !== 'Identifier') {
        return undefined;
      }
      const prop = callee.property.name;
      const object = callee.object;
      if (object.type === 'Identifier') {
        const v = lookUp(scope, object.name);
        if (!v) return GLOBAL_OBJECTS.has(object.name) && prop === 'setTimeout' ? 'callback' : undefined;
        const from = boundFrom(v);
        if (!from || !TIMERS_PROMISES.test(from.source)) return undefined;
        if (from.imported === '*' && prop === 'setTimeout') return 'promise';
        if (from.imported === 'scheduler' && prop === 'wait') return 'promise';
        return undefined;
      }
      // (await import('node:timers/promises')).setTimeout(ms)
      const inner = object.type === 'AwaitExpression' ? object.argument : object;
      if (
        prop === 'setTimeout' &&
        inner.type === 'ImportExpression' &&
        inner.source.type === 'Literal' &&
        TIMERS_PROMISES.test(String(inner.source.value))
      ) {
        return 'promise';
      }
      return undefined;
    }

    /**
     * Whether `id` names the first parameter (resolve) of a `new Promise(executor)`'s executor, used
     * nowhere but inside `timer`: a promise only the timer settles. One that something else resolves
     * too (a close, an answer) is a deadline, whatever value the timer settles it with.
     */
    function onlyTimerResolves(/** @type {import('estree').Identifier} */ id, /** @type {Node} */ timer) {
      const v = lookUp(sourceCode.getScope(id), id.name);
      const def = v?.defs[0];
      if (!v || !def || def.type !== 'Parameter') return false;
      const fn = def.node;
      const parent = /** @type {Node & { parent?: Node }} */ (fn).parent;
      const [start, end] = /** @type {[number, number]} */ (timer.range);
      return (
        fn.params[0] === def.name &&
        parent?.type === 'NewExpression' &&
        parent.callee.type === 'Identifier' &&
        parent.callee.name === 'Promise' &&
        parent.arguments[0] === fn &&
        v.references.every((ref) => {
          const [at] = /** @type {[number, number]} */ (ref.identifier.range);
          return at >= start && at < end;
        })
      );
    }

    /**
     * Whether a timer's callback only resolves a promise nothing else settles: `r`, `() => r()`,
     * `() => r(value)`, `() => { r(); }`.
     */
    function onlyResolves(/** @type {Node | undefined} */ callback, /** @type {Node} */ timer) {
      if (!callback) return false;
      if (callback.type === 'Identifier') return onlyTimerResolves(callback, timer);
      if (callback.type !== 'ArrowFunctionExpression' && callback.type !== 'FunctionExpression') return false;
      let body = /** @type {Node} */ (callback.body);
      if (body.type === 'BlockStatement') {
        if (body.body.length !== 1 || body.body[0]?.type !== 'ExpressionStatement') return false;
        body = body.body[0].expression;
      }
      if (body.type === 'UnaryExpression' && body.operator === 'void') body = body.argument;
      return (
        body.type === 'CallExpression' &&
        body.callee.type === 'Identifier' &&
        onlyTimerResolves(body.callee, timer)
      );
    }

    return {
      CallExpression(node) {
        const { callee } = node;
        if (callee.type === 'MemberExpression' && !callee.computed) {
          if (callee.property.type === 'Identifier' && callee.property.name === 'waitForTimeout') {
            return context.report({ node, messageId: 'sleep' });
          }
        }
        // util.promisify(setTimeout): a sleep made by hand.
        const last = callee.type === 'MemberExpression' ? callee.property : callee;
        if (
          last.type === 'Identifier' &&
          last.name === 'promisify' &&
          node.arguments[0] &&
          node.arguments[0].type !== 'SpreadElement' &&
          timerKind(node.arguments[0], node) === 'callback'
        ) {
          return context.report({ node, messageId: 'sleep' });
        }
        const kind = timerKind(callee, node);
        if (kind === 'promise') return context.report({ node, messageId: 'sleep' });
        const awaited = /** @type {Node & { parent?: Node }} */ (node).parent?.type === 'AwaitExpression';
        const named = last.type === 'Identifier' && last.name === 'setTimeout';
        // An awaited setTimeout of any origin (a namespace whose import the rule cannot follow).
        if (awaited && named) return context.report({ node, messageId: 'sleep' });
        if (kind === 'callback' && onlyResolves(/** @type {Node | undefined} */ (node.arguments[0]), node)) {
          return context.report({ node, messageId: 'sleep' });
        }
        return undefined;
      },
    };
  },
};

/** The plugin eslint.config.js registers: `clawbridge/no-fixed-sleep`. */
export const clawbridgePlugin = { rules: { 'no-fixed-sleep': noFixedSleep } };
