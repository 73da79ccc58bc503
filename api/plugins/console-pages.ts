/**
 * Serves the built web console (`npm run build:console` writes console/dist) under /console/ and
 * the public preference centre at /preferences, as static files. Hashed assets are cached for a
 * year; the HTML pages are revalidated every time, so a new build reaches browsers at once. Every
 * page gets a strict Content-Security-Policy: scripts, styles and API calls from this origin only,
 * no inline script or style, no framing (except the preference centre, which brands may embed).
 * When nothing is built, the pages answer 404 saying how to build them.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ApiError } from '../errors.ts';

export const CONSOLE_DIST = fileURLToPath(new URL('../../console/dist/', import.meta.url));

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

const csp = (frameAncestors: string) =>
  `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors ${frameAncestors}`;

async function send(reply: FastifyReply, root: string, file: string, frameAncestors = "'none'") {
  const path = normalize(join(root, file));
  if (!path.startsWith(root) || !(await stat(path).catch(() => undefined))?.isFile()) return undefined;
  const type = types[extname(path)] ?? 'application/octet-stream';
  const hashed = file.startsWith(`assets${sep}`) || file.startsWith('assets/');
  reply
    .type(type)
    .header('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer');
  if (type.startsWith('text/html')) reply.header('content-security-policy', csp(frameAncestors));
  if (type.startsWith('text/html') && frameAncestors === "'none'") reply.header('x-frame-options', 'DENY');
  return reply.send(await readFile(path));
}

const notBuilt = () => new ApiError('ACCORD_ERR_ROUTE_NOT_FOUND', 'the console is not built: run `npm run build:console`');

export async function consolePages(app: FastifyInstance, options: { root?: string }): Promise<void> {
  // With the separator, so a path that climbs out (or a sibling folder with a longer name) never passes.
  const root = resolve(options.root ?? CONSOLE_DIST) + sep;
  const config = { public: 'static pages of the console and preference centre, which hold no data', rateLimit: false } as const;
  app.get('/console', { schema: { hide: true }, config }, async (_request, reply) => reply.redirect('/console/', 302));
  app.get('/console/*', { schema: { hide: true }, config }, async (request, reply) => {
    const file = (request.params as { '*': string })['*'];
    // Deep links into the single-page app get its page; missing assets are a plain 404.
    const served = (file && (await send(reply, root, file))) || (!file.startsWith('assets/') && (await send(reply, root, 'index.html')));
    if (!served) throw notBuilt();
    return served;
  });
  // The preference centre may be shown inside a brand's own pages or a mini-program web-view.
  app.get('/preferences', { schema: { hide: true }, config }, async (_request, reply) => (await send(reply, root, 'preferences.html', '*')) || Promise.reject(notBuilt()));
}
