/** The machine a bench ran on, for its results page. */
import { execSync } from 'node:child_process'

/** `2 CPUs, load average 1.2 0.9 0.7, Node v24.22.3`. */
export function machine(): string {
  const sh = (cmd: string): string => {
    try {
      return execSync(cmd, { encoding: 'utf8' }).trim()
    } catch {
      return '(unavailable)'
    }
  }
  const load = sh('cat /proc/loadavg').split(' ').slice(0, 3).join(' ')
  return `${sh('nproc')} CPUs, load average ${load}, Node ${process.version}`
}
