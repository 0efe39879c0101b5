// The linter's main job here is the determinism rule: protocol code reaches
// time, randomness, timers, files and sockets only through src/runtime's
// interfaces, so the simulator can replace all of them.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nondeterministicModules = [
  'fs', 'node:fs', 'fs/promises', 'node:fs/promises',
  'net', 'node:net', 'dgram', 'node:dgram', 'tls', 'node:tls', 'http', 'node:http', 'http2', 'node:http2',
  'timers', 'node:timers', 'timers/promises', 'node:timers/promises',
  'perf_hooks', 'node:perf_hooks', 'child_process', 'node:child_process', 'worker_threads', 'node:worker_threads',
];

// assert(condition, `... ${value}`) builds its message on every call, failed
// or not; on a request's path that is work for nothing (src/assert.ts).
const eagerAssertMessage = {
  selector: "CallExpression[callee.name='assert'] > TemplateLiteral[expressions.length>0]",
  message: 'This message is built on every call: write if (!(condition)) fail(`...`) instead (src/assert.ts).',
};

export const determinismRules = {
  'no-restricted-properties': ['error',
    { object: 'Math', property: 'random', message: 'Use the Random from src/runtime: one seed must decide everything.' },
    { object: 'Date', property: 'now', message: 'Use the Clock from src/runtime.' },
    { object: 'performance', property: 'now', message: 'Use the Clock from src/runtime.' },
    { object: 'process', property: 'hrtime', message: 'Use the Clock from src/runtime.' },
    { object: 'process', property: 'nextTick', message: 'Work scheduled outside the simulator escapes its ordering: use the Timers from src/runtime.' },
  ],
  'no-restricted-globals': ['error',
    { name: 'setTimeout', message: 'Use the Timers from src/runtime.' },
    { name: 'setInterval', message: 'Use the Timers from src/runtime.' },
    { name: 'setImmediate', message: 'Use the Timers from src/runtime.' },
    { name: 'performance', message: 'Use the Clock from src/runtime.' },
    { name: 'queueMicrotask', message: 'Work scheduled outside the simulator escapes its ordering: use the Timers from src/runtime.' },
  ],
  'no-restricted-syntax': ['error',
    { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'new Date() reads the system clock: use the Clock from src/runtime.' },
    { selector: "CallExpression[callee.name='Date'][arguments.length=0]", message: 'Date() reads the system clock: use the Clock from src/runtime.' },
    eagerAssertMessage,
  ],
  'no-restricted-imports': ['error', {
    paths: nondeterministicModules.map((name) => ({ name, message: 'Protocol code reaches the outside world only through src/runtime interfaces.' })),
  }],
};

export default tseslint.config(
  { ignores: ['dist/**', '.build/**', 'node_modules/**', 'data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly', Buffer: 'readonly', URL: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', queueMicrotask: 'readonly', structuredClone: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  // Trellis's own assert (tests use node:assert, whose messages are theirs to build).
  { files: ['src/**/*.ts'], rules: { 'no-restricted-syntax': ['error', eagerAssertMessage] } },
  {
    files: ['src/**/*.ts'],
    // src/chaos drives real member processes, sockets, proxies and clocks: it is the outside world by design.
    ignores: ['src/runtime/node/**', 'src/cli/**', 'src/sim/driver.ts', 'src/bench/**', 'src/api/etcd/http-server.ts', 'src/chaos/**'],
    rules: determinismRules,
  },
);
