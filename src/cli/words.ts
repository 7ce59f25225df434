/**
 * Errors as people read them: no class names, and a provider's `[envsync] [github]` tag becomes its
 * name ("GitHub: …"). The class name stays in `--json` (`error.code`), where programs branch on it.
 */

const PROVIDER_NAMES: ReadonlyMap<string, string> = new Map([
  ['github', 'GitHub'],
  ['render', 'Render'],
  ['netlify', 'Netlify'],
]);

/** `[envsync] [github] GET … failed with 401` → `GitHub: GET … failed with 401`. */
export function inWords(message: string): string {
  return message
    .replace(/\[envsync\] \[(\w+)\] /g, (_, id: string) => `${PROVIDER_NAMES.get(id) ?? id}: `)
    .replace(/\[envsync\] /g, '');
}
