/**
 * What `npm start` and `genesisctl sandbox` keep in `.envsync/` between runs: the session's keys
 * and tokens (so a token saved in the page still works after a restart, and snapshots and
 * fingerprints recorded before it still read), and the variables of the sandbox running now (so
 * another shell gets them with `eval "$(npx genesisctl sandbox --print-env)"`).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import * as v from 'valibot';
import { ConfigError } from '../config/env.ts';
import { privateDirectory, writePrivateFile } from './private-file.ts';

const SESSION_FILE = 'dev-session.json';
const SANDBOX_JSON = 'sandbox.json';
/** `export` lines: `. .envsync/sandbox.env` in a shell does what the `eval` does. */
export const SANDBOX_ENV_FILE = 'sandbox.env';

const secretText = v.pipe(v.string(), v.minLength(16));
const DevSecretsSchema = v.object({
  snapshotKey: secretText,
  webhookSecret: secretText,
  tokens: v.object({ admiral: secretText, architect: secretText, viewer: secretText }),
});
export type DevSecrets = v.InferOutput<typeof DevSecretsSchema>;

const VARIABLE = /^[A-Z_][A-Z0-9_]*$/;
const SandboxFileSchema = v.object({
  pid: v.pipe(v.number(), v.integer(), v.minValue(1)),
  env: v.record(v.pipe(v.string(), v.regex(VARIABLE)), v.string()),
});

const token = (prefix: string) => `${prefix}_${randomBytes(18).toString('base64url')}`;

/** The session's keys and tokens: read from `.envsync/dev-session.json`, made (0600) the first time. */
export async function devSecrets(stateDir: string): Promise<DevSecrets> {
  const file = path.join(stateDir, SESSION_FILE);
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (text !== undefined) {
    const parsed = v.safeParse(DevSecretsSchema, parseJson(text));
    if (parsed.success) return parsed.output;
    throw new ConfigError(
      `${file} is not a session file EnvSync wrote (${parsed.issues[0]?.message ?? 'unreadable'}): delete it to start with new keys and tokens.`,
    );
  }
  const made: DevSecrets = {
    snapshotKey: randomBytes(32).toString('base64'),
    webhookSecret: `whsec_${randomBytes(24).toString('base64')}`,
    tokens: { admiral: token('admiral'), architect: token('architect'), viewer: token('viewer') },
  };
  await ensureStateDir(stateDir);
  await writePrivateFile(file, `${JSON.stringify(made, null, 2)}\n`);
  return made;
}

/**
 * Records the running sandbox's variables (0600: they hold its keys) for `--print-env` and for
 * `. .envsync/sandbox.env`; the returned function removes them when the sandbox stops.
 */
export async function publishSandboxEnv(
  stateDir: string,
  env: Readonly<Record<string, string>>,
): Promise<() => Promise<void>> {
  await ensureStateDir(stateDir);
  await writePrivateFile(path.join(stateDir, SANDBOX_JSON), JSON.stringify({ pid: process.pid, env }));
  await writePrivateFile(
    path.join(stateDir, SANDBOX_ENV_FILE),
    `# The EnvSync sandbox of process ${process.pid}: . this file (or eval genesisctl sandbox --print-env).\n${exportLines(env)}\n`,
  );
  return async () => {
    // Only ours: a second session started since owns the files now.
    const current = await readSandboxFile(stateDir).catch(() => undefined);
    if (current?.pid !== process.pid) return;
    await Promise.all(
      [SANDBOX_JSON, SANDBOX_ENV_FILE].map((f) => rm(path.join(stateDir, f), { force: true })),
    );
  };
}

/** The variables of the sandbox running now, or a ConfigError saying how to start one. */
export async function runningSandboxEnv(stateDir: string): Promise<Record<string, string>> {
  const found = await readSandboxFile(stateDir);
  if (!found || !isAlive(found.pid))
    throw new ConfigError(
      `No sandbox is running for ${path.dirname(stateDir)}: start one in another terminal with \`npm start\` or \`npx genesisctl sandbox\`, from this folder.`,
    );
  return found.env;
}

async function readSandboxFile(
  stateDir: string,
): Promise<v.InferOutput<typeof SandboxFileSchema> | undefined> {
  const file = path.join(stateDir, SANDBOX_JSON);
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const parsed = v.safeParse(SandboxFileSchema, parseJson(text));
  if (!parsed.success)
    throw new ConfigError(
      `${file} is not a sandbox file EnvSync wrote: delete it and start the sandbox again.`,
    );
  return parsed.output;
}

/** `.envsync/` with its ignore-everything `.gitignore`; any other folder (tests) private too. */
async function ensureStateDir(stateDir: string): Promise<void> {
  if (path.basename(stateDir) === '.envsync') await privateDirectory(path.dirname(stateDir));
  else await mkdir(stateDir, { recursive: true, mode: 0o700 });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * `export NAME='value'` lines for a shell (`eval`, `.`): each value in single quotes, a quote
 * inside written as '\'' ; a name that is not a plain variable name is refused, not printed.
 */
export function exportLines(env: Readonly<Record<string, string>>): string {
  return Object.entries(env)
    .map(([k, value]) => {
      if (!VARIABLE.test(k)) throw new ConfigError(`not a variable name: ${JSON.stringify(k)}`);
      return `export ${k}='${value.replace(/'/g, `'\\''`)}'`;
    })
    .join('\n');
}
