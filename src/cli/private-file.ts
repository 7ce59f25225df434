/**
 * Writing files that may hold plaintext values (`env export --include-values`): never through a
 * symlink planted at the path, never readable by others even for a moment, never half-written.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * A new temporary file beside `file`, created exclusively (`O_EXCL`), without following a link
 * (`O_NOFOLLOW`), mode 0600 from its first byte; then renamed over `file`. A rename replaces a
 * symlink itself rather than writing where it points, and an existing file's mode never applies.
 */
export async function writePrivateFile(file: string, text: string): Promise<void> {
  await writeFileWhole(file, text, { mode: 0o600, replace: true });
}

/**
 * `text` into `file` whole or not at all, through a fresh temporary file of `mode`. With `replace`
 * false the file is put in place by a hard link, which fails (EEXIST) if something appeared at the
 * path meanwhile: a file another process wrote is never overwritten.
 */
export async function writeFileWhole(
  file: string,
  text: string,
  options: { readonly mode: number; readonly replace: boolean },
): Promise<void> {
  const dir = path.dirname(file);
  const temp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(
    temp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    options.mode,
  );
  try {
    await handle.writeFile(text);
    await handle.sync();
    await handle.chmod(options.mode);
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  if (options.replace) return rename(temp, file);
  try {
    await link(temp, file);
  } finally {
    await rm(temp, { force: true });
  }
}

/**
 * The directory for local files EnvSync writes (`.envsync/`), created 0700 with a `.gitignore`
 * that ignores everything in it, so an export there is never committed by accident.
 */
export async function privateDirectory(root: string): Promise<string> {
  const dir = path.join(root, '.envsync');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(
    path.join(dir, '.gitignore'),
    '# Written by EnvSync: local records and exports, never committed.\n*\n',
    {
      flag: 'w',
    },
  );
  return dir;
}
