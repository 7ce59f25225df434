import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JsonSchema, SchemaDialect, SchemaIssue, Validator } from './schema.ts';
import { compileSchema, describeIssue } from './schema.ts';

/** Where the shared contracts live: `ENVSYNC_CONTRACTS_DIR`, else `../shared/contracts/` beside the repo. */
export function contractsDirectory(): string {
  const override = process.env.ENVSYNC_CONTRACTS_DIR;
  if (override) return path.resolve(override);
  return path.resolve(fileURLToPath(new URL('../../../shared/contracts/', import.meta.url)));
}

const fileCache = new Map<string, unknown>();

/** Parses a contract file once per process; the files are read at run time, never copied. */
export function readContractFile(name: string): unknown {
  const file = path.join(contractsDirectory(), name);
  if (!fileCache.has(file)) fileCache.set(file, JSON.parse(readFileSync(file, 'utf8')) as unknown);
  return fileCache.get(file);
}

export interface ContractParameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: JsonSchema;
}

export interface ContractOperation {
  method: string;
  /** The path template as the contract spells it. */
  path: string;
  operationId?: string;
  /** The provider's documentation page for this operation, when the contract names one. */
  docsUrl?: string;
  parameters: ContractParameter[];
  body?: { name: string; required: boolean; schema: JsonSchema };
  /** Status code (or `default`) → body schema; `null` means the status carries no body. */
  responses: Record<string, JsonSchema | null>;
}

/** One mismatch between a request and the operation it targets. */
export interface RequestIssue {
  in: 'path' | 'query' | 'body';
  /** The parameter (or body parameter) name. */
  name: string;
  issue: SchemaIssue;
}

export interface RequestParts {
  params: Record<string, string>;
  query: URLSearchParams;
  /** Parsed JSON, or undefined when no body was sent. */
  body: unknown;
}

/** A provider's operations plus the checks the sandbox runs on every request and response. */
export class Contract {
  private readonly operationsByKey = new Map<string, ContractOperation>();
  private readonly validators = new Map<JsonSchema, Validator>();

  constructor(
    readonly name: string,
    operations: ContractOperation[],
    private readonly dialect: SchemaDialect,
    /** Used for error statuses an operation does not declare. */
    private readonly errorSchema: JsonSchema | null,
  ) {
    for (const op of operations) this.operationsByKey.set(`${op.method} ${op.path}`, op);
  }

  get operations(): ContractOperation[] {
    return [...this.operationsByKey.values()];
  }

  operation(method: string, contractPath: string): ContractOperation | undefined {
    return this.operationsByKey.get(`${method.toUpperCase()} ${contractPath}`);
  }

  validateRequest(op: ContractOperation, request: RequestParts): RequestIssue[] {
    const issues: RequestIssue[] = [];
    for (const param of op.parameters) {
      if (param.in === 'header') continue;
      const raw =
        param.in === 'path' ? request.params[param.name] : (request.query.get(param.name) ?? undefined);
      if (raw === undefined) {
        if (param.required)
          issues.push({
            in: param.in,
            name: param.name,
            issue: { path: [], keyword: 'required', property: param.name },
          });
        continue;
      }
      for (const issue of this.validator(param.schema)(coerceParameter(raw, param.schema))) {
        issues.push({ in: param.in, name: param.name, issue });
      }
    }
    if (op.body) {
      if (request.body === undefined) {
        if (op.body.required)
          issues.push({
            in: 'body',
            name: op.body.name,
            issue: { path: [], keyword: 'required', property: op.body.name },
          });
      } else {
        for (const issue of this.validator(op.body.schema)(request.body))
          issues.push({ in: 'body', name: op.body.name, issue });
      }
    }
    return issues;
  }

  /** Describes every way a response breaks the contract; empty when it conforms. */
  validateResponse(op: ContractOperation, status: number, body: unknown): string[] {
    const key = String(status);
    const schema =
      key in op.responses
        ? op.responses[key]
        : 'default' in op.responses
          ? op.responses.default
          : status >= 400
            ? this.errorSchema
            : undefined;
    const where = `${op.method} ${op.path} → ${status}`;
    if (schema === undefined) return [`${where}: status ${status} is not declared`];
    if (schema === null) return body === undefined ? [] : [`${where}: no body is declared but one was sent`];
    if (body === undefined) return [`${where}: a body is declared but none was sent`];
    return this.validator(schema)(body).map((issue) => `${where}: ${describeIssue(issue)}`);
  }

  // Compiled on first use so starting a sandbox stays cheap.
  private validator(schema: JsonSchema): Validator {
    let validate = this.validators.get(schema);
    if (!validate) {
      validate = compileSchema(schema, this.dialect);
      this.validators.set(schema, validate);
    }
    return validate;
  }
}

function coerceParameter(raw: string, schema: JsonSchema): unknown {
  if ((schema.type === 'integer' || schema.type === 'number') && /^-?\d+(\.\d+)?$/.test(raw))
    return Number(raw);
  if (schema.type === 'boolean' && (raw === 'true' || raw === 'false')) return raw === 'true';
  return raw;
}

const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

/** Reads the operations of an OpenAPI 3.0 document (dereferenced: no `$ref`). */
export function openApi3Contract(name: string, doc: unknown, errorSchema: JsonSchema | null): Contract {
  const operations: ContractOperation[] = [];
  for (const [opPath, item] of Object.entries(record(record(doc).paths))) {
    const pathItem = record(item);
    for (const method of METHODS) {
      if (pathItem[method] === undefined) continue;
      const op = record(pathItem[method]);
      const requestBody = op.requestBody === undefined ? undefined : record(op.requestBody);
      const bodySchema = requestBody
        ? record(record(record(requestBody.content)['application/json']).schema)
        : undefined;
      operations.push({
        method: method.toUpperCase(),
        path: opPath,
        operationId: optional(op.operationId),
        docsUrl: op.externalDocs === undefined ? undefined : optional(record(op.externalDocs).url),
        parameters: [...list(pathItem.parameters), ...list(op.parameters)].map((p) => {
          const param = record(p);
          return {
            name: String(param.name),
            in: location(param.in),
            required: param.required === true,
            schema: record(param.schema ?? {}),
          };
        }),
        body:
          requestBody && bodySchema
            ? { name: 'body', required: requestBody.required === true, schema: bodySchema }
            : undefined,
        responses: Object.fromEntries(
          Object.entries(record(op.responses)).map(([status, r]) => {
            const content = record(r).content;
            const json = content === undefined ? undefined : record(content)['application/json'];
            return [status, json === undefined ? null : record(record(json).schema)];
          }),
        ),
      });
    }
  }
  return new Contract(name, operations, 'openapi-3.0', errorSchema);
}

const SWAGGER_PARAMETER_KEYWORDS = [
  'type',
  'enum',
  'format',
  'items',
  'pattern',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'x-nullable',
];

/** Reads the operations of a Swagger 2.0 document; paths stay relative to its `basePath`. */
export function swagger2Contract(name: string, doc: unknown): Contract {
  const operations: ContractOperation[] = [];
  for (const [opPath, item] of Object.entries(record(record(doc).paths))) {
    const pathItem = record(item);
    for (const method of METHODS) {
      if (pathItem[method] === undefined) continue;
      const op = record(pathItem[method]);
      const params = [...list(pathItem.parameters), ...list(op.parameters)].map(record);
      const bodyParam = params.find((p) => p.in === 'body');
      operations.push({
        method: method.toUpperCase(),
        path: opPath,
        operationId: optional(op.operationId),
        parameters: params
          .filter((p) => p.in !== 'body')
          .map((p) => ({
            name: String(p.name),
            in: location(p.in),
            required: p.required === true,
            schema: Object.fromEntries(
              SWAGGER_PARAMETER_KEYWORDS.filter((k) => p[k] !== undefined).map((k) => [k, p[k]]),
            ),
          })),
        body: bodyParam
          ? {
              name: String(bodyParam.name),
              required: bodyParam.required === true,
              schema: record(bodyParam.schema),
            }
          : undefined,
        responses: Object.fromEntries(
          Object.entries(record(op.responses)).map(([status, r]) => {
            const schema = record(r).schema;
            return [status, schema === undefined ? null : record(schema)];
          }),
        ),
      });
    }
  }
  // Swagger 2.0 contracts declare their errors under `default`, so no fallback is needed.
  return new Contract(name, operations, 'swagger-2.0', null);
}

function record(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error('[sandbox] malformed contract: expected an object');
  return value as Record<string, unknown>;
}

function list(value: unknown): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new Error('[sandbox] malformed contract: expected an array');
  return value;
}

function optional(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function location(value: unknown): ContractParameter['in'] {
  if (value === 'path' || value === 'query' || value === 'header') return value;
  throw new Error(`[sandbox] unsupported parameter location ${String(value)}`);
}
