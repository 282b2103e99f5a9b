import { mkdir } from 'node:fs/promises';

/**
 * `mkdir -p` that reports the real cause: Node's recursive mkdir says ENOENT for some failures (a read-only file
 * system among them), so a failure is asked about once more without `recursive`, which gives the real code.
 */
export async function makeFolder(folder: string, mode: number): Promise<void> {
  try {
    await mkdir(folder, { recursive: true, mode });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') await mkdir(folder, { mode });
    throw error;
  }
}
