/**
 * Writing files that may hold plaintext values (`env export --include-values`): never through a
 * symlink planted at the path, never readable by others even for a moment, never half-written.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * A new temporary file beside `file`, created exclusively (`O_EXCL`), without following a link
 * (`O_NOFOLLOW`), mode 0600 from its first byte; then renamed over `file`. A rename replaces a
 * symlink itself rather than writing where it points, and an existing file's mode never applies.
 */
export async function writePrivateFile(file: string, text: string): Promise<void> {
  const dir = path.dirname(file);
  const temp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(
    temp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    await handle.writeFile(text);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  await rename(temp, file);
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
