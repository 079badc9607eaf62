/**
 * The modules a bundle from scripts/vite-desktop.config.ts loads at run time, read from its text.
 * Rollup writes static imports as whole lines at the top and dynamic ones as `import("…")`; a
 * CommonJS dependency's leftover require() goes through the module-scoped require the config's
 * banner creates (`const <name> = __cbCreateRequire(import.meta.url)`).
 */

/** What one bundle loads. */
export interface BundleImports {
  /** Static, dynamic and shimmed-require specifiers, in the order found by kind. */
  specifiers: string[];
  /** require() calls that do not go through the shim: in an ES module these throw at run time. */
  bareRequires: string[];
}

export function bundleImports(code: string, esModule: boolean): BundleImports {
  const shim = /const (\w+) = __cbCreateRequire\(import\.meta\.url\)/.exec(code)?.[1];
  const specifiers = [
    ...code.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s*"([^"]+)";?$/gm),
    ...code.matchAll(/^import\s*"([^"]+)";?$/gm),
    ...code.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g),
    ...(shim ? code.matchAll(new RegExp(`\\b${shim}\\(\\s*"([^"]+)"\\s*\\)`, 'g')) : []),
  ].map((m) => m[1]!);
  // Quotes and backticks before `require` mean generated code inside a string (ajv's), not a call.
  const bareRequires =
    esModule && shim !== 'require'
      ? [...code.matchAll(/(?<![\w$.`'"])require\s*\(\s*"([^"]+)"/g)].map((m) => m[1]!)
      : [];
  return { specifiers, bareRequires };
}
