/**
 * Imports a package by a name that function bundlers cannot see. Netlify's bundler traces every
 * `import()` whose specifier it can work out, even through a constant, and packs that package
 * into each function; a specifier passed in as an argument is out of its reach. Used for packages
 * only some functions need (libsodium, to seal secrets) or none deployed do (the local Blobs
 * server); netlify.toml ships them where they are needed.
 */
export function lateImport<T>(specifier: string): Promise<T> {
  return import(specifier) as Promise<T>;
}
