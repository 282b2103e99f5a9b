import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import { AppError } from '../errors.ts';
import type { ModuleRouter } from '../http/module-router.ts';

/** Where `npm run build:console` writes the console's files, from source: `dist/console/` in the project. */
export const defaultConsoleAssets = () => path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'dist', 'console');

/**
 * The console's page and its files under /console/, from the app itself (no CDN), with a strict Content-Security-
 * Policy: scripts, styles and fetches from this origin only, no inline script or style, no framing. In a scope of
 * their own, so the policy does not reach /docs (whose UI needs its own).
 */
export async function consoleAssets(app: ModuleRouter, root: string = defaultConsoleAssets()): Promise<void> {
  await app.register(async (scope) => {
    await scope.register(helmet, {
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'none'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          fontSrc: ["'self'"],
          baseUri: ["'none'"],
          formAction: ["'none'"],
          frameAncestors: ["'none'"],
        },
      },
      // Plain http on localhost is how the console is reached in development; HSTS would be a lie there.
      strictTransportSecurity: false,
      referrerPolicy: { policy: 'no-referrer' },
    });
    if (!existsSync(path.join(root, 'index.html'))) {
      const notBuilt = async () => {
        throw new AppError('unavailable', 'CONSOLE_NOT_BUILT', `The console's files are not built (${root}): run npm run build:console`);
      };
      scope.get('/console', notBuilt);
      scope.get('/console/*', notBuilt);
      return;
    }
    await scope.register(fastifyStatic, {
      root,
      prefix: '/console/',
      // The page itself is the route below: the app ignores trailing slashes, so /console/ is /console, which the
      // plugin's /console/* does not match.
      index: false,
      // Vite names every asset by its content hash: a cached one never goes stale. The page itself is always asked again.
      setHeaders: (response, file) => {
        response.header('cache-control', file.endsWith('.html') ? 'no-cache' : 'public, max-age=31536000, immutable');
      },
    });
    scope.get('/console', { schema: { hide: true } }, async (_request, reply) => reply.header('cache-control', 'no-cache').sendFile('index.html'));
  });
}
