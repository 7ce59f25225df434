import type { SandboxRequest } from './http.ts';

/** GitHub pagination: `per_page` (clamped to the route's maximum), `page`, and a `Link` header. */
export function paginate<T>(
  all: T[],
  req: SandboxRequest,
  defaultPerPage: number,
  maxPerPage: number,
): { items: T[]; headers: Record<string, string> } {
  const perPageRaw = Number(req.query.get('per_page') ?? defaultPerPage);
  const perPage =
    Number.isInteger(perPageRaw) && perPageRaw > 0 ? Math.min(perPageRaw, maxPerPage) : defaultPerPage;
  const pageRaw = Number(req.query.get('page') ?? 1);
  const page = Number.isInteger(pageRaw) && pageRaw > 0 ? pageRaw : 1;
  const last = Math.max(1, Math.ceil(all.length / perPage));
  const href = (n: number): string => {
    const url = new URL(req.url.pathname + req.url.search, req.origin);
    url.searchParams.set('page', String(n));
    return `<${url.href}>`;
  };
  const links: string[] = [];
  if (page > 1) links.push(`${href(Math.min(page - 1, last))}; rel="prev"`);
  if (page < last) links.push(`${href(page + 1)}; rel="next"`, `${href(last)}; rel="last"`);
  if (page > 1) links.push(`${href(1)}; rel="first"`);
  return {
    items: all.slice((page - 1) * perPage, page * perPage),
    headers: links.length > 0 ? { Link: links.join(', ') } : {},
  };
}
