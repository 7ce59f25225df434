/**
 * A stand-in for a Slack incoming webhook, for tests: a real HTTP server on 127.0.0.1 that checks
 * each message against Slack's payload rules (text or blocks; known block types; mrkdwn or
 * plain_text sections of at most 3,000 characters; plain_text headers of at most 150; at most 50
 * blocks) and answers as Slack does: `200 ok`, `400 invalid_payload|no_text|invalid_blocks`,
 * `404 channel_not_found`, `429` with `Retry-After`, `5xx` — scripted per request.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Answer {
  readonly status: number;
  readonly body: string;
  readonly headers?: Record<string, string>;
}

export interface Received {
  readonly raw: string;
  readonly payload: unknown;
  /** Why Slack would refuse it; empty when the shape is right. */
  readonly problems: readonly string[];
  /** Every mrkdwn text of the message (the `text` fallback, sections, context elements). */
  readonly mrkdwn: readonly string[];
}

const TEXT_TYPES = new Set(['mrkdwn', 'plain_text']);
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Slack's rules for an incoming webhook's payload, as far as EnvSync uses them. */
export function slackProblems(payload: unknown): { problems: string[]; mrkdwn: string[] } {
  const problems: string[] = [];
  const mrkdwn: string[] = [];
  if (!isObject(payload)) return { problems: ['the payload is not a JSON object'], mrkdwn };
  const { text, blocks } = payload;
  if (text !== undefined && typeof text !== 'string') problems.push('text is not a string');
  if (typeof text === 'string') mrkdwn.push(text); // `text` is mrkdwn unless `mrkdwn: false`
  const hasText = typeof text === 'string' && text.trim() !== '';
  if (!hasText && !(Array.isArray(blocks) && blocks.length > 0)) problems.push('no_text');
  if (blocks !== undefined) {
    if (!Array.isArray(blocks)) problems.push('blocks is not an array');
    else {
      if (blocks.length > 50) problems.push(`${blocks.length} blocks (at most 50)`);
      blocks.forEach((block: unknown, i) => {
        if (!isObject(block)) return problems.push(`blocks[${i}] is not an object`);
        const textObject = (t: unknown, where: string, types = TEXT_TYPES, max = 3000) => {
          if (!isObject(t) || typeof t['type'] !== 'string' || !types.has(t['type']))
            return problems.push(`${where} must be {type: ${[...types].join('|')}, text}`);
          if (typeof t['text'] !== 'string' || t['text'] === '')
            return problems.push(`${where}.text must be a non-empty string`);
          if (t['text'].length > max)
            problems.push(`${where}.text is ${t['text'].length} chars (at most ${max})`);
          if (t['type'] === 'mrkdwn') mrkdwn.push(t['text']);
        };
        switch (block['type']) {
          case 'section':
            textObject(block['text'], `blocks[${i}].text`);
            break;
          case 'header':
            textObject(block['text'], `blocks[${i}].text`, new Set(['plain_text']), 150);
            break;
          case 'context': {
            const elements = block['elements'];
            if (!Array.isArray(elements) || elements.length === 0 || elements.length > 10)
              problems.push(`blocks[${i}].elements must hold 1 to 10 elements`);
            else elements.forEach((e: unknown, j) => textObject(e, `blocks[${i}].elements[${j}]`));
            break;
          }
          case 'divider':
            break;
          default:
            problems.push(`blocks[${i}].type ${JSON.stringify(block['type'])} is not a known block type`);
        }
      });
    }
  }
  return { problems, mrkdwn };
}

export interface SlackReceiver {
  /** Its URL, with a path like Slack's (the secret part of an incoming webhook). */
  readonly url: string;
  readonly received: Received[];
  /** Answers for the next requests, in order; then `200 ok` (or a refusal for a bad shape). */
  answer(...answers: Answer[]): void;
  close(): Promise<void>;
}

export const SLACK = {
  ok: { status: 200, body: 'ok' },
  invalidPayload: { status: 400, body: 'invalid_payload' },
  channelNotFound: { status: 404, body: 'channel_not_found' },
  rateLimited: (seconds: number): Answer => ({
    status: 429,
    body: 'rate_limited',
    headers: { 'retry-after': String(seconds) },
  }),
  serverError: { status: 500, body: 'internal_error' },
} as const;

export async function slackReceiver(pathSecret = 'T0000/B0000/XXXXXXXX'): Promise<SlackReceiver> {
  const received: Received[] = [];
  const scripted: Answer[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      let payload: unknown;
      let answer: Answer | undefined = scripted.shift();
      try {
        payload = JSON.parse(raw);
      } catch {
        answer ??= SLACK.invalidPayload;
      }
      const { problems, mrkdwn } =
        req.headers['content-type']?.startsWith('application/json') === false
          ? { problems: ['content-type is not application/json'], mrkdwn: [] }
          : slackProblems(payload);
      received.push({ raw, payload, problems, mrkdwn });
      answer ??=
        problems.length === 0
          ? SLACK.ok
          : { status: 400, body: problems.includes('no_text') ? 'no_text' : 'invalid_blocks' };
      res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/services/${pathSecret}`,
    received,
    answer: (...answers) => void scripted.push(...answers),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
