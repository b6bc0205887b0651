/** Sets a key without ever touching the prototype (a key may be spelled `__proto__`). */
export function setKey(map: object, key: string | number, value: unknown): void {
  Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true })
}

/** Drops keys whose value is undefined, so that a request never carries `key: undefined`. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T
}
