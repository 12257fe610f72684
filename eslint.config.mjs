import tseslint from 'typescript-eslint';

/** The core is a library usable without VS Code: it must never import it. */
const NO_VSCODE = { name: 'vscode', message: 'src/core must not depend on VS Code; put editor code under src/vscode.' };
/** A layer of the core that may import only `allowed` (folders of src/core) besides its own files. ESLint keeps one rule per file, so NO_VSCODE goes with it. */
const coreLayer = (folder, allowed, message) => ({
  files: [`src/core/${folder}/**/*.ts`],
  rules: {
    'no-restricted-imports': ['error', { paths: [NO_VSCODE], patterns: [{ group: ['../*', ...allowed.flatMap((a) => [`!../${a}`, `!../${a}/*`])], message }] }],
  },
});

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.tools/**', '.test-output/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [NO_VSCODE] }],
    },
  },
  // The core's bottom layer, the Redis seam, imports nothing else of the core; messages sit on it only.
  coreLayer('redis', [], 'src/core/redis is the bottom layer: it imports nothing else of the core.'),
  coreLayer('messages', ['redis'], 'src/core/messages imports only src/core/redis.'),
  {
    // The agent tools are shared by the editor and the MCP server: neither VS Code nor the MCP SDK here.
    files: ['src/agent/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'src/agent must not depend on VS Code; the editor layer is src/vscode/agent.' }],
          patterns: [{ group: ['@modelcontextprotocol/*'], message: 'src/agent must not depend on the MCP SDK; the MCP server is src/cli/mcp.ts.' }],
        },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', require: 'readonly', module: 'writable', __dirname: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly', Buffer: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
