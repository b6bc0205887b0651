/** The template reader the tests share with `npm run docs` (scripts/cloudformation.ts). */
export * from '../../scripts/cloudformation.js'
