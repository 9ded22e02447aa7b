/**
 * @module client-node's Watch, asking for bookmarks and a server-side timeout, and reporting
 * stream activity.
 *
 * client-node 1.4.0 sends only resourceVersion and selectors. Bookmarks let the server advance our
 * resourceVersion on quiet resources, so a reconnect resumes instead of hitting "410 Gone";
 * `timeoutSeconds` makes the server end a watch that a broken path would otherwise keep open forever.
 */
import { Watch, type KubeConfig } from '@kubernetes/client-node'

export interface WatchActivity {
  /** The server accepted the watch request (HTTP 200, stream open). */
  opened(): void
  /** Any line arrived on the stream: an object event, a bookmark or an error. */
  event(type: string): void
}

export class BookmarkWatch extends Watch {
  constructor(
    config: KubeConfig,
    private readonly timeoutSeconds: number,
    private readonly activity: WatchActivity,
  ) {
    super(config)
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: any, watchObj?: any) => void,
    done: (err: any) => void,
  ): Promise<AbortController> {
    let finished = false
    const controller = await super.watch(
      path,
      { ...queryParams, allowWatchBookmarks: true, timeoutSeconds: this.timeoutSeconds },
      (phase, obj, watchObj) => {
        this.activity.event(phase)
        callback(phase, obj, watchObj)
      },
      (err) => {
        finished = true
        done(err)
      },
    )
    if (!finished) this.activity.opened()
    return controller
  }
}
