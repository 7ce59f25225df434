// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.netlify/', '.envsync/', 'coverage/', 'docs/', 'public/vendor/', 'dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', '*.mjs', 'src/cli/*.mjs', 'public/*.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The page runs in the browser: its globals, no Node.
    files: ['public/**/*.js'],
    languageOptions: {
      globals: Object.fromEntries(
        'window document location history sessionStorage localStorage fetch performance matchMedia getComputedStyle ResizeObserver URL URLSearchParams Node Element Intl setInterval'
          .split(' ')
          .map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    // The CLI, benchmarks and scripts talk to the terminal on purpose.
    files: ['src/cli/**', 'src/build/**', 'tests/bench/**', 'scripts/**'],
    rules: { 'no-console': 'off' },
  },
);
