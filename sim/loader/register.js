/**
 * `node --import ./sim/loader/register.js file.ts` runs a TypeScript entry of this project
 * (the simulator CLI, the demo, the benchmark) without a build step. See hooks.js.
 */
import { register } from 'node:module'

register('./hooks.js', import.meta.url)
