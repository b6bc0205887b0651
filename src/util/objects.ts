/** The value of a JSON text, or undefined when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** Sets a key without ever touching the prototype (a key may be spelled `__proto__`). */
export function setKey(map: object, key: string | number, value: unknown): void {
  Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true })
}

/**
 * Drops keys whose value is undefined or null, so that a request never carries `key: undefined`
 * (and a task snapshot compares and prints cleanly).
 */
export function compact<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], null> } {
  return Object.fromEntries(
    Object.entries(value).filter(([, v]) => v !== undefined && v !== null)
  ) as { [K in keyof T]: Exclude<T[K], null> }
}
