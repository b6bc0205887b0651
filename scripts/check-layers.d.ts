/** Types of scripts/check-layers.js, for the tests. */
export const FLOORS: string[][]
export const ENTRY_ONLY: Record<string, string>
export function checkLayers(root: string): string[]
