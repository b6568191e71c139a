/**
 * A record keyed by names that come from users or the registry. It has no prototype, so a template or label called
 * `__proto__`, `constructor` or `toString` is an ordinary key: looking it up finds only what was stored, and storing
 * it stores data instead of replacing the object's prototype.
 */
export function nameKeyed<T>(...sources: ReadonlyArray<Readonly<Record<string, T>> | undefined>): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, ...sources);
}
