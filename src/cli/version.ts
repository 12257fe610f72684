// The package version, read from the package.json next to the bundle (dist/) or the sources.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The package version (from the package.json next to the bundle or the sources). */
export function version(): string {
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      try {
        const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'redis-queues' && pkg.version) return pkg.version;
      } catch {
        /* keep looking */
      }
    }
    dir = dirname(dir);
  }
  return 'unknown';
}
