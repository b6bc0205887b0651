/** A bench's command-line options: `--name value`. */

/** The number after `--name`, or `fallback` when the option is absent. */
export function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`)
  const raw = i >= 0 ? process.argv[i + 1] : undefined
  return raw === undefined ? fallback : Number(raw)
}

/** The text after `--name`, or `fallback` when the option is absent. */
export function argText(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return (i >= 0 ? process.argv[i + 1] : undefined) ?? fallback
}
