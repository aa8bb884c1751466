/** One entry of a v3 `package-lock.json`'s `packages` map, the fields installs follow. */
interface LockEntry {
  name?: string;
  link?: boolean;
  resolved?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

export interface PackageLock {
  packages: Record<string, LockEntry>;
}

/**
 * The package names `npm ci --omit=dev` installs for the workspace at `workspace` (its path
 * in the lock, e.g. `apps/gateway`): what an image's runtime stage ships. Follows production,
 * optional and required peer dependencies (npm installs those too), through workspace links,
 * resolved as Node does: the nearest `node_modules` up from the dependent. Dev dependencies
 * are never followed, so a test helper's driver does not count.
 */
export function productionPackages(lock: PackageLock, workspace: string): Set<string> {
  const names = new Set<string>();
  const seen = new Set<string>();
  const visit = (location: string) => {
    if (seen.has(location)) return;
    seen.add(location);
    const entry = lock.packages[location];
    if (!entry) throw new Error(`${location} is not in the lock file`);
    if (entry.link && entry.resolved !== undefined) return visit(entry.resolved);
    for (const dependency of runtimeDependencies(entry)) {
      const found = resolveFrom(lock, location, dependency);
      if (found === undefined) continue; // an optional dependency for another platform
      names.add(dependency);
      visit(found);
    }
  };
  visit(workspace);
  return names;
}

/** Every workspace of the lock (`apps/gateway`, `packages/auth`, ...), the root excluded. */
export function lockWorkspaces(lock: PackageLock): string[] {
  return Object.keys(lock.packages).filter(
    (location) => location !== '' && !location.includes('node_modules/'),
  );
}

function runtimeDependencies(entry: LockEntry): string[] {
  const requiredPeers = Object.keys(entry.peerDependencies ?? {}).filter(
    (peer) => !entry.peerDependenciesMeta?.[peer]?.optional,
  );
  return [
    ...Object.keys(entry.dependencies ?? {}),
    ...Object.keys(entry.optionalDependencies ?? {}),
    ...requiredPeers,
  ];
}

/** Node's lookup: `<dir>/node_modules/<name>` from the dependent's directory up to the root. */
function resolveFrom(lock: PackageLock, location: string, name: string): string | undefined {
  let dir = location;
  for (;;) {
    const candidate = dir === '' ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (dir === '') return undefined;
    const parent = dir.lastIndexOf('/node_modules/');
    dir = parent === -1 ? '' : dir.slice(0, parent);
  }
}
