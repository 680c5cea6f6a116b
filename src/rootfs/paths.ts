// Paths inside the image's virtual root. Every name from a layer or a config goes through `normalizePath`, which
// works like a chroot: `..` at the root stays at the root, so no name can point outside the image. Nothing here
// touches the host's filesystem.

/**
 * An absolute, normalised path: `/`-separated, without empty, `.` or `..` components (`..` is applied, clamped at
 * the root). A NUL ends the name, as it would for a system call. The root is `/`.
 */
export function normalizePath(name: string): string {
  const nul = name.indexOf('\0');
  const text = nul === -1 ? name : name.slice(0, nul);
  const out: string[] = [];
  for (const part of text.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

/** `path` taken relative to `dir` when it does not start with `/`, then normalised. */
export function resolveIn(dir: string, path: string): string {
  return normalizePath(path.startsWith('/') ? path : `${dir}/${path}`);
}

/** The parent of a normalised path; the root is its own parent. */
export function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function joinPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

/** The strict ancestors of a normalised path, nearest first, without the root: `/a/b/c` → `/a/b`, `/a`. */
export function* ancestorsOf(path: string): Generator<string> {
  let p = parentOf(path);
  while (p !== '/') {
    yield p;
    p = parentOf(p);
  }
}

/** True when `path` is `dir` or lies under it. */
export function isWithin(path: string, dir: string): boolean {
  return dir === '/' || path === dir || path.startsWith(`${dir}/`);
}

/** The components of a path as written (empty and `.` components dropped, `..` kept for the walk to apply). */
export function components(path: string): string[] {
  const nul = path.indexOf('\0');
  const text = nul === -1 ? path : path.slice(0, nul);
  return text.split('/').filter((c) => c !== '' && c !== '.');
}
