/**
 * Parses a YAML manifest's text, loading the parser only when a manifest is YAML. Deployed
 * functions carry no YAML parser: their build parses the manifests they may read and bundles the
 * results in this module's place (src/build/manifests.ts), which is why `file` is passed.
 */
export async function parseYaml(text: string, _file: string): Promise<unknown> {
  const { load } = await import('js-yaml');
  return load(text);
}
