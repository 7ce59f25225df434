/**
 * Ships the chart library with the page: copies uPlot from node_modules into `public/vendor/`
 * (no CDN). Run by Netlify's build command, by `npm start` before `netlify dev`, and by the page
 * tests. `node --import tsx src/build/vendor.ts [repoRoot]`.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const VENDOR_FILES = ['uPlot.iife.min.js', 'uPlot.min.css'] as const;

/** Copies the chart library into `<repoRoot>/public/vendor/`; returns the files written. */
export async function copyVendor(repoRoot: string): Promise<string[]> {
  const from = path.join(repoRoot, 'node_modules/uplot/dist');
  const to = path.join(repoRoot, 'public/vendor');
  await mkdir(to, { recursive: true });
  return Promise.all(
    VENDOR_FILES.map(async (file) => {
      await copyFile(path.join(from, file), path.join(to, file));
      return path.join(to, file);
    }),
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(
    process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '../..'),
  );
  const files = await copyVendor(root);
  console.log(`vendor: ${files.map((f) => path.relative(root, f)).join(', ')}`);
}
