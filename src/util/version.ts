/**
 * This action's version, sent in the AWS user agent. A constant rather than a read of
 * package.json at run time: the bundle in dist/ has no package.json beside it. A test keeps
 * it equal to package.json's `version`.
 */
export const VERSION = '1.0.0'
