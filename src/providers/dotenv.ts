/**
 * A local `.env` file as a target: for trying EnvSync without accounts and for keeping a
 * developer's file in parity. Writes are atomic (temp file + rename) and keep mode 0600.
 */
import { chmod, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readDotenvFile } from '../config/manifest.ts';
import type { EnvValue, Target } from '../core/model.ts';
import type { TargetRules } from '../core/rules.ts';
import type { Adapter, WriteOutcome } from './adapter.ts';

type DotenvTarget = Extract<Target, { provider: 'dotenv' }>;

export const dotenvRules: TargetRules = {
  checkKey: (key) =>
    /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)
      ? undefined
      : 'a .env name may hold only letters, digits, _ . and -, and must not start with a digit',
  checkValue: () => undefined,
};

function quote(value: string): string {
  // Double quotes keep newlines (as \n) and are what dotenv expands back.
  if (/^[\w@%+=:,./-]*$/.test(value)) return value;
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;
}

async function save(file: string, values: ReadonlyMap<string, EnvValue>): Promise<void> {
  const lines = [...values]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .flatMap(([key, v]) => (v.kind === 'value' ? [`${key}=${quote(v.value.reveal())}`] : []));
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  await writeFile(temp, lines.join('\n') + '\n', { mode: 0o600 });
  await rename(temp, file);
  await chmod(file, 0o600);
}

export const dotenvAdapter: Adapter<DotenvTarget> = {
  provider: 'dotenv',
  capabilities: () => ({ readableValues: true, batchCreate: true, perContextValues: false }),
  rules: () => dotenvRules,
  list: (target) => readDotenvFile(target.scope.path),
  async read(target, key) {
    return (await readDotenvFile(target.scope.path)).get(key);
  },
  async write(target, ops) {
    const values = await readDotenvFile(target.scope.path);
    for (const op of ops) values.set(op.key, { kind: 'value', value: op.value });
    await save(target.scope.path, values);
    return ops.map((op): WriteOutcome => ({ key: op.key, ok: true }));
  },
  async remove(target, keys) {
    const values = await readDotenvFile(target.scope.path);
    for (const key of keys) values.delete(key);
    await save(target.scope.path, values);
    return keys.map((key): WriteOutcome => ({ key, ok: true }));
  },
};
