// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Imports that would break the layering of DESIGN §11: pure layers stay free of I/O and Electron. */
const io = [
  'node:net',
  'net',
  'node:tls',
  'tls',
  'node:dgram',
  'dgram',
  'node:http',
  'http',
  'node:https',
  'https',
  'ws',
];
const electron = ['electron', 'electron/*'];

/** @param {string[]} names @param {string} why */
const forbid = (names, why) => ({
  'no-restricted-imports': [
    'error',
    {
      paths: names.filter((n) => !n.includes('*')).map((name) => ({ name, message: why })),
      patterns: names.filter((n) => n.includes('*')).map((group) => ({ group: [group], message: why })),
    },
  ],
});

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      '.tmp/**',
      'release/**',
      'node_modules/**',
      'src-renderer/dist/**',
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['vite.config.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['src-main/core/**/*.ts', 'src-main/protocol/**/*.ts', 'src-main/crypto/**/*.ts'],
    rules: forbid(
      [...io, ...electron, 'node:fs', 'fs', 'node:fs/promises'],
      'core/, protocol/ and crypto/ are pure: no network, file system or Electron (DESIGN §11)',
    ),
  },
  {
    files: ['src-main/**/*.ts'],
    ignores: ['src-main/electron/**', 'src-main/core/**', 'src-main/protocol/**', 'src-main/crypto/**'],
    rules: forbid(electron, "only src-main/electron/ may import 'electron' (DESIGN §11)"),
  },
  {
    files: ['src-renderer/**/*.ts', 'src-renderer/**/*.tsx'],
    rules: {
      ...forbid(
        [...io, ...electron, 'node:*'],
        'the renderer is a sandboxed web page: no Node or Electron imports',
      ),
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports' }],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
);
