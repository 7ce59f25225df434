/**
 * A JSON-schema validator for exactly the subset the provider contracts use (OpenAPI 3.0 with
 * `nullable`, Swagger 2.0 with `x-nullable`). Written here rather than pulled in so error details
 * map one-to-one onto each provider's own validation messages, and so an unknown keyword fails
 * loudly at compile time instead of being skipped: the sandbox must never be laxer than the API.
 */
export type JsonSchema = Record<string, unknown>;
export type SchemaDialect = 'openapi-3.0' | 'swagger-2.0';

export type SchemaKeyword =
  | 'type'
  | 'required'
  | 'enum'
  | 'pattern'
  | 'format'
  | 'additionalProperties'
  | 'anyOf'
  | 'oneOf'
  | 'minLength'
  | 'maxLength'
  | 'minimum'
  | 'maximum'
  | 'minItems'
  | 'maxItems';

export interface SchemaIssue {
  /** Path from the validated value, e.g. `['values', '0', 'context']`. */
  path: string[];
  keyword: SchemaKeyword;
  /** For `required` and `additionalProperties`: the property concerned. */
  property?: string;
  /** What the schema asked for: a type name, the enum list, the pattern, a bound. */
  expected?: unknown;
  /** The offending value. */
  actual?: unknown;
}

export type Validator = (value: unknown) => SchemaIssue[];
type Check = (value: unknown, path: string[], out: SchemaIssue[]) => void;

const ANNOTATIONS = new Set([
  'description',
  'example',
  'examples',
  'title',
  'default',
  'deprecated',
  'readOnly',
  'writeOnly',
  'externalDocs',
]);
const VALIDATION_KEYWORDS = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'pattern',
  'format',
  'anyOf',
  'oneOf',
  'allOf',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'minItems',
  'maxItems',
]);

export function compileSchema(schema: JsonSchema, dialect: SchemaDialect): Validator {
  const check = compile(schema, dialect, '#');
  return (value) => {
    const out: SchemaIssue[] = [];
    check(value, [], out);
    return out;
  };
}

function compile(schema: JsonSchema, dialect: SchemaDialect, where: string): Check {
  for (const key of Object.keys(schema)) {
    const known =
      VALIDATION_KEYWORDS.has(key) ||
      ANNOTATIONS.has(key) ||
      (dialect === 'openapi-3.0' && key === 'nullable') ||
      key.startsWith('x-');
    if (!known) throw new Error(`[sandbox] unsupported schema keyword "${key}" at ${where}`);
  }
  const nullable = dialect === 'openapi-3.0' ? schema.nullable === true : schema['x-nullable'] === true;
  const type = optionalString(schema.type, `${where}/type`);
  const checks: Check[] = [];

  if (Array.isArray(schema.enum)) checks.push(enumCheck(schema.enum));
  if (schema.pattern !== undefined)
    checks.push(patternCheck(requireString(schema.pattern, `${where}/pattern`)));
  if (schema.format !== undefined) checks.push(formatCheck(requireString(schema.format, `${where}/format`)));
  checks.push(...boundChecks(schema));
  if (
    schema.properties !== undefined ||
    schema.required !== undefined ||
    schema.additionalProperties !== undefined
  ) {
    checks.push(objectCheck(schema, dialect, where));
  }
  if (schema.items !== undefined) {
    const item = compile(asSchema(schema.items, `${where}/items`), dialect, `${where}/items`);
    checks.push((value, path, out) => {
      if (Array.isArray(value)) value.forEach((v, i) => item(v, [...path, String(i)], out));
    });
  }
  for (const combinator of ['anyOf', 'oneOf', 'allOf'] as const) {
    const list = schema[combinator];
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw new Error(`[sandbox] ${where}/${combinator} must be an array`);
    const branches = list.map((s, i) =>
      compile(asSchema(s, `${where}/${combinator}/${i}`), dialect, `${where}/${combinator}/${i}`),
    );
    checks.push(combinatorCheck(combinator, branches));
  }

  return (value, path, out) => {
    if (value === null && nullable) return;
    if (type !== undefined && !matchesType(value, type)) {
      out.push({ path, keyword: 'type', expected: type, actual: value });
      return;
    }
    for (const c of checks) c(value, path, out);
  };
}

function matchesType(value: unknown, type: string): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'null':
      return value === null;
    default:
      throw new Error(`[sandbox] unsupported schema type "${type}"`);
  }
}

function enumCheck(allowed: unknown[]): Check {
  return (value, path, out) => {
    if (!allowed.some((a) => a === value))
      out.push({ path, keyword: 'enum', expected: allowed, actual: value });
  };
}

function patternCheck(pattern: string): Check {
  const regex = new RegExp(pattern);
  return (value, path, out) => {
    if (typeof value === 'string' && !regex.test(value))
      out.push({ path, keyword: 'pattern', expected: pattern, actual: value });
  };
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

function formatCheck(format: string): Check {
  const test: ((s: string) => boolean) | undefined =
    format === 'date-time'
      ? (s) => DATE_TIME.test(s) && !Number.isNaN(Date.parse(s))
      : format === 'uri'
        ? (s) => URL.canParse(s)
        : undefined; // int32/int64 only annotate integers; unknown formats are annotations per JSON Schema.
  if (!test) return () => undefined;
  return (value, path, out) => {
    if (typeof value === 'string' && !test(value))
      out.push({ path, keyword: 'format', expected: format, actual: value });
  };
}

function boundChecks(schema: JsonSchema): Check[] {
  const checks: Check[] = [];
  const bound = (
    keyword: SchemaKeyword,
    applies: (v: unknown) => number | undefined,
    ok: (n: number, limit: number) => boolean,
  ): void => {
    const limit = schema[keyword];
    if (limit === undefined) return;
    if (typeof limit !== 'number') throw new Error(`[sandbox] ${keyword} must be a number`);
    checks.push((value, path, out) => {
      const n = applies(value);
      if (n !== undefined && !ok(n, limit)) out.push({ path, keyword, expected: limit, actual: value });
    });
  };
  const length = (v: unknown): number | undefined => (typeof v === 'string' ? [...v].length : undefined);
  const size = (v: unknown): number | undefined => (Array.isArray(v) ? v.length : undefined);
  const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
  bound('minLength', length, (n, l) => n >= l);
  bound('maxLength', length, (n, l) => n <= l);
  bound('minItems', size, (n, l) => n >= l);
  bound('maxItems', size, (n, l) => n <= l);
  bound('minimum', num, (n, l) => n >= l);
  bound('maximum', num, (n, l) => n <= l);
  return checks;
}

function objectCheck(schema: JsonSchema, dialect: SchemaDialect, where: string): Check {
  const properties = new Map<string, Check>();
  if (schema.properties !== undefined) {
    for (const [name, sub] of Object.entries(asSchema(schema.properties, `${where}/properties`))) {
      properties.set(
        name,
        compile(asSchema(sub, `${where}/properties/${name}`), dialect, `${where}/properties/${name}`),
      );
    }
  }
  const required = schema.required === undefined ? [] : schema.required;
  if (!Array.isArray(required) || !required.every((r): r is string => typeof r === 'string')) {
    throw new Error(`[sandbox] ${where}/required must be an array of strings`);
  }
  const extra = schema.additionalProperties;
  const extraCheck =
    typeof extra === 'object' && extra !== null
      ? compile(asSchema(extra, `${where}/additionalProperties`), dialect, `${where}/additionalProperties`)
      : undefined;

  return (value, path, out) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
    const record = value as Record<string, unknown>;
    for (const name of required) {
      if (record[name] === undefined) out.push({ path, keyword: 'required', property: name });
    }
    for (const [name, v] of Object.entries(record)) {
      const check = properties.get(name);
      if (check) check(v, [...path, name], out);
      else if (extra === false) out.push({ path, keyword: 'additionalProperties', property: name });
      else if (extraCheck) extraCheck(v, [...path, name], out);
    }
  };
}

function combinatorCheck(kind: 'anyOf' | 'oneOf' | 'allOf', branches: Check[]): Check {
  return (value, path, out) => {
    const results = branches.map((branch) => {
      const issues: SchemaIssue[] = [];
      branch(value, path, issues);
      return issues;
    });
    if (kind === 'allOf') {
      for (const issues of results) out.push(...issues);
      return;
    }
    const passing = results.filter((issues) => issues.length === 0).length;
    if (kind === 'anyOf' ? passing === 0 : passing !== 1) out.push({ path, keyword: kind, actual: value });
  };
}

function asSchema(value: unknown, where: string): JsonSchema {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`[sandbox] expected a schema object at ${where}`);
  }
  return value as JsonSchema;
}

function optionalString(value: unknown, where: string): string | undefined {
  return value === undefined ? undefined : requireString(value, where);
}

function requireString(value: unknown, where: string): string {
  if (typeof value !== 'string') throw new Error(`[sandbox] expected a string at ${where}`);
  return value;
}

/** A neutral one-line description of an issue, for contract-violation reports. */
export function describeIssue(issue: SchemaIssue): string {
  const at = issue.path.length > 0 ? `/${issue.path.join('/')}` : '(root)';
  switch (issue.keyword) {
    case 'required':
      return `${at}: missing required property "${issue.property ?? ''}"`;
    case 'additionalProperties':
      return `${at}: property "${issue.property ?? ''}" is not allowed`;
    case 'type':
      return `${at}: expected ${String(issue.expected)}, got ${jsonTypeOf(issue.actual)}`;
    default:
      return `${at}: fails ${issue.keyword}${issue.expected === undefined ? '' : ` ${JSON.stringify(issue.expected)}`}`;
  }
}

export function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}
