// The determinism rule is what keeps the simulator honest: prove it rejects
// each forbidden source of time, randomness and I/O in protocol code, and
// allows it in the real runtime adapters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: process.cwd() });

async function ruleIdsFor(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message);
}

const forbidden: Array<[string, string]> = [
  ['Math.random()', 'no-restricted-properties'],
  ['Date.now()', 'no-restricted-properties'],
  ['performance.now()', 'no-restricted-globals'],
  ['new Date()', 'no-restricted-syntax'],
  ['setTimeout(() => {}, 1)', 'no-restricted-globals'],
  ['setInterval(() => {}, 1)', 'no-restricted-globals'],
  ["import { readFileSync } from 'node:fs'; readFileSync('x')", 'no-restricted-imports'],
  ["import { createServer } from 'node:net'; createServer()", 'no-restricted-imports'],
  ["import fs from 'fs'; fs.readFileSync('x')", 'no-restricted-imports'],
];

for (const [code, rule] of forbidden) {
  test(`protocol code may not use ${code}`, async () => {
    const rules = await ruleIdsFor(`export const x = () => { ${code}; };\n`, 'src/consensus/example.ts');
    assert.ok(rules.includes(rule), `expected ${rule}, got ${JSON.stringify(rules)}`);
  });
}

test('the simulator itself is protocol code too: only its driver loop may touch the event loop', async () => {
  for (const file of ['src/sim/world.ts', 'src/sim/sim-disk.ts', 'src/log/example.ts', 'src/kv/example.ts']) {
    const rules = await ruleIdsFor('export const x = () => [Math.random(), Date.now()];\n', file);
    assert.deepEqual(rules, ['no-restricted-properties', 'no-restricted-properties'], file);
  }
});

for (const file of ['src/cli/example.ts', 'src/bench/example.ts', 'test/sim/example.test.ts']) {
  test(`${file.split('/').slice(0, 2).join('/')} may use the clock, timers, files and sockets (the CLI, benchmarks, tests)`, async () => {
    const code =
      "import { readFileSync } from 'node:fs';\nimport { createServer } from 'node:net';\n" +
      'export const x = () => [Math.random(), Date.now(), performance.now(), setTimeout(() => {}, 1), setInterval(() => {}, 1), readFileSync, createServer];\n';
    assert.deepEqual(await ruleIdsFor(code, file), []);
  });
}

test('the real runtime adapters may use the system clock and files', async () => {
  const rules = await ruleIdsFor("import { readFileSync } from 'node:fs';\nexport const x = () => [Date.now(), readFileSync('x')];\n", 'src/runtime/node/example.ts');
  assert.deepEqual(rules, []);
});

test('new Date(ms) is plain arithmetic and allowed', async () => {
  const rules = await ruleIdsFor('export const x = (ms: number) => new Date(ms).toISOString();\n', 'src/kv/example.ts');
  assert.deepEqual(rules, []);
});
