import tseslint from 'typescript-eslint';

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
    // The core is a library usable without VS Code: it must never import it.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'src/core must not depend on VS Code; put editor code under src/vscode.' }] }],
    },
  },
  {
    // The core's bottom layer, the Redis seam (src/core/redis): it imports nothing else of the core.
    files: ['src/core/redis/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'src/core must not depend on VS Code; put editor code under src/vscode.' }],
          patterns: [{ group: ['../*'], message: 'src/core/redis is the bottom layer: it imports nothing else of the core.' }],
        },
      ],
    },
  },
  {
    // Messages (src/core/messages) sit on the Redis seam only.
    files: ['src/core/messages/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'src/core must not depend on VS Code; put editor code under src/vscode.' }],
          patterns: [{ group: ['../*', '!../redis', '!../redis/*'], message: 'src/core/messages imports only src/core/redis.' }],
        },
      ],
    },
  },
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
