/** The part of s3rver's API this project uses (the package ships no types). */
declare module 's3rver' {
  import type { Server } from 'node:http'
  import type { AddressInfo } from 'node:net'

  interface S3rverOptions {
    address?: string
    port?: number
    silent?: boolean
    directory?: string
    resetOnClose?: boolean
    allowMismatchedSignatures?: boolean
    vhostBuckets?: boolean
    configureBuckets?: { name: string; configs?: string[] }[]
  }

  interface KoaContext {
    method: string
    path: string
    query: Record<string, string | string[] | undefined>
    headers: Record<string, string | string[] | undefined>
    status: number
    body: unknown
    type: string
    set(field: string, value: string): void
  }

  type Middleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>

  interface Store {
    getMetadata(bucket: string, key: string): Promise<{ etag: string }>
    existsObject(bucket: string, key: string): Promise<boolean>
    listObjects(
      bucket: string,
      options: { prefix?: string; startAfter?: string; maxKeys?: number; delimiter?: string }
    ): Promise<{
      objects: {
        key: string
        size: number
        lastModifiedDate: Date
        metadata: Record<string, string>
      }[]
      commonPrefixes: string[]
      isTruncated: boolean
    }>
  }

  export default class S3rver {
    constructor(options?: S3rverOptions)
    middleware: Middleware[]
    store: Store
    httpServer?: Server
    run(): Promise<AddressInfo>
    close(): Promise<void>
    use(middleware: Middleware): this
  }
}
