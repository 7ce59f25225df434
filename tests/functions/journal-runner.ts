/**
 * Runs one journal the way the background function does, in its own process, so that a test can
 * kill it with SIGKILL mid-sync: `node --import tsx tests/functions/journal-runner.ts <journal id>`.
 */
import { createApiDeps } from '../../src/api/deps.ts';
import { runJournal } from '../../src/sync/background.ts';

const id = process.argv[2] ?? '';
const deps = await createApiDeps();
const journal = await runJournal(deps.ctx, await deps.project(), id);
process.stdout.write(`${journal.status}\n`);
