/**
 * Records kept in the deployed site's Netlify Blobs from anywhere else (a laptop, GitHub Actions):
 * the `siteID`/`token` mode of `@netlify/blobs`, so the CLI's syncs land where the page reads and
 * share the functions' locks. Chosen by the Blobs variables, validated here.
 */
import * as v from 'valibot';
import { getStore } from '@netlify/blobs';
import type { Store } from '@netlify/blobs';

/** A wrong or unreachable record store: the user fixes a variable (the CLI exits 2). */
export class RecordStoreError extends Error {
  override readonly name = 'RecordStoreError';
}

const text = v.optional(v.pipe(v.string(), v.trim()), '');
const absoluteUrl = v.optional(
  v.union(
    [
      v.literal(''),
      v.pipe(
        v.string(),
        v.trim(),
        v.url(),
        v.transform((s) => s.replace(/\/+$/, '')),
      ),
    ],
    'must be an absolute URL such as https://api.netlify.com',
  ),
  '',
);
const SITE_ID_MESSAGE =
  "must be the site's id (letters, digits, - and _), e.g. b7c3d2e1-5a6f-4c1d-9e8f-0123456789ab";
// The id becomes a URL path segment (and, on a local Blobs server, a folder name).
const siteId = v.optional(
  v.union(
    [v.literal(''), v.pipe(v.string(), v.trim(), v.regex(/^[A-Za-z0-9][\w-]{0,99}$/, SITE_ID_MESSAGE))],
    SITE_ID_MESSAGE,
  ),
  '',
);

/** The variables that say where the records are. */
export const BlobsEnvSchema = v.object({
  ENVSYNC_BLOBS_URL: absoluteUrl,
  ENVSYNC_BLOBS_TOKEN: text,
  ENVSYNC_BLOBS_SITE_ID: siteId,
  NETLIFY_SITE_ID: siteId,
  ENVSYNC_BLOBS_EDGE_URL: absoluteUrl,
  ENVSYNC_BLOBS_DIR: text,
});
export type BlobsEnv = v.InferOutput<typeof BlobsEnvSchema>;

export function parseBlobsEnv(env: Readonly<Record<string, string | undefined>>): BlobsEnv {
  const picked: Record<string, string> = {};
  for (const key of Object.keys(BlobsEnvSchema.entries)) {
    const value = env[key];
    if (value !== undefined) picked[key] = value;
  }
  const result = v.safeParse(BlobsEnvSchema, picked);
  if (!result.success) {
    const lines = result.issues.map((issue) => `  ${v.getDotPath(issue) ?? '?'}: ${issue.message}`);
    throw new RecordStoreError(
      `Invalid record store variables:\n${lines.join('\n')}\nFix them and run again.`,
    );
  }
  return result.output;
}

export interface SiteBlobs {
  readonly siteID: string;
  /** Which variable named the site, for messages. */
  readonly siteVariable: 'ENVSYNC_BLOBS_SITE_ID' | 'NETLIFY_SITE_ID';
  readonly token: string;
  /**
   * Netlify's API (signed URLs) unless ENVSYNC_BLOBS_EDGE_URL names a Blobs edge to talk to
   * directly: tests point it at a local BlobsServer, whose emulation of the API drops a listing's
   * `prefix`.
   */
  readonly edgeURL: string | undefined;
}

/**
 * The site mode, when asked for: a token in ENVSYNC_BLOBS_TOKEN without ENVSYNC_BLOBS_URL (that
 * pair is a local server), and a site. NETLIFY_AUTH_TOKEN is deliberately not enough: with
 * NETLIFY_SITE_ID it also names a Netlify *target*, which need not be the site EnvSync runs on.
 */
export function siteBlobsFrom(env: BlobsEnv): SiteBlobs | undefined {
  if (env.ENVSYNC_BLOBS_URL || !env.ENVSYNC_BLOBS_TOKEN) return undefined;
  const siteVariable = env.ENVSYNC_BLOBS_SITE_ID ? 'ENVSYNC_BLOBS_SITE_ID' : 'NETLIFY_SITE_ID';
  const siteID = env.ENVSYNC_BLOBS_SITE_ID || env.NETLIFY_SITE_ID;
  if (!siteID)
    throw new RecordStoreError(
      'ENVSYNC_BLOBS_TOKEN is set but no site is: set NETLIFY_SITE_ID (or ENVSYNC_BLOBS_SITE_ID) to the id of the site EnvSync is deployed on, or unset ENVSYNC_BLOBS_TOKEN to keep records in .envsync/blobs.',
    );
  return {
    siteID,
    siteVariable,
    token: env.ENVSYNC_BLOBS_TOKEN,
    edgeURL: env.ENVSYNC_BLOBS_EDGE_URL || undefined,
  };
}

export function siteStore(site: SiteBlobs, name: string, fetchImpl?: typeof fetch): Store {
  return getStore({
    name,
    siteID: site.siteID,
    token: site.token,
    // Strong reads need the uncached edge; the direct edge given here is that one.
    ...(site.edgeURL ? { edgeURL: site.edgeURL, uncachedEdgeURL: site.edgeURL } : {}),
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
    consistency: 'strong',
  });
}

/**
 * One listing before any work, so a wrong token or an unreachable API is said at once, naming the
 * variables, instead of failing a sync half-way. `@netlify/blobs` retries a failed connection five
 * times 5 s apart; here a failed connection answers as a network error response, which it does not
 * retry, and is reported as what it was.
 */
export async function probeSite(site: SiteBlobs, storeName: string): Promise<void> {
  let unreachable: unknown;
  const once: typeof fetch = async (input, init) => {
    try {
      return await fetch(input, { ...init, signal: AbortSignal.timeout(15_000) });
    } catch (error) {
      unreachable = error;
      return Response.error();
    }
  };
  const where = `Netlify Blobs of site ${site.siteID} (${site.siteVariable}) at ${site.edgeURL ?? 'https://api.netlify.com'}`;
  try {
    await siteStore(site, storeName, once).list({ prefix: 'probe/' });
  } catch (error) {
    if (unreachable !== undefined)
      throw new RecordStoreError(
        `${where} could not be reached (${causeOf(unreachable)}). Check the network (and ENVSYNC_BLOBS_EDGE_URL, if set), or unset ENVSYNC_BLOBS_TOKEN to keep records in .envsync/blobs.`,
      );
    const status = statusOf(error);
    if (status === 401 || status === 403 || status === 404)
      throw new RecordStoreError(
        `${where} refused ENVSYNC_BLOBS_TOKEN (HTTP ${status}). Set ENVSYNC_BLOBS_TOKEN to a Netlify personal access token of a member of the site's team, and ${site.siteVariable} to the id of the site EnvSync is deployed on.`,
      );
    throw new RecordStoreError(
      `${where} answered ${status === undefined ? 'with an error' : `HTTP ${status}`}; try again, or unset ENVSYNC_BLOBS_TOKEN to keep records in .envsync/blobs.`,
    );
  }
}

function statusOf(error: unknown): number | undefined {
  // BlobsInternalError's message carries the status ("… status code 403 …"); nothing else of it is shown.
  const match = /\b([1-5]\d\d)\b/.exec(error instanceof Error ? error.message : '');
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

function causeOf(error: unknown): string {
  const err = error instanceof Error ? error : undefined;
  const cause = (err?.cause as { code?: unknown } | undefined)?.code;
  if (typeof cause === 'string' && /^[A-Z_]+$/.test(cause)) return cause;
  return err?.name === 'TimeoutError' ? 'no answer within 15 s' : 'connection failed';
}
