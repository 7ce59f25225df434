/**
 * Netlify's build command (`npm run build` runs it through `netlify build --offline`): ships the
 * chart library with the page and bundles the function doors. `node --import tsx src/build/main.ts`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { copyVendor } from './vendor.ts';
import { bundleFunctions } from './functions.ts';
import { manifestNotice } from './manifests.ts';

const root = path.resolve(
  process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '../..'),
);
const vendored = await copyVendor(root);
console.log(`vendor: ${vendored.map((f) => path.relative(root, f)).join(', ')}`);
const { functions, manifests } = await bundleFunctions(root);
console.log(`YAML manifests parsed for the functions: ${manifests.map((m) => m.file).join(', ') || 'none'}`);
const notice = manifestNotice(root, process.env['ENVSYNC_MANIFEST']);
if (notice) console.warn(notice);
for (const fn of functions) {
  const top = Object.entries(fn.contributions)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([owner, bytes]) => `${owner} ${(bytes / 1024).toFixed(0)} KB`)
    .join(', ');
  console.log(`function ${fn.name}: ${fn.file} (${(fn.bytes / 1024).toFixed(0)} KB: ${top}…)`);
}
