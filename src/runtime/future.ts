/**
 * The handle of a submitted checkpoint call. The call has already started; `result()` (or awaiting
 * the future itself) gives its value.
 * @example const f = fetchPage.submit(url); const page = await f.result();
 */
export class KitaruFuture<T> implements PromiseLike<T> {
  readonly callId: string;
  readonly #promise: Promise<T>;

  constructor(callId: string, promise: Promise<T>) {
    this.callId = callId;
    // The runtime already handles a rejection of `promise` (a failed call nobody awaits is
    // recorded, not an unhandled rejection).
    this.#promise = promise;
  }

  /** The call's value; rejects with the checkpoint's error. */
  result(): Promise<T> {
    return this.#promise;
  }

  // biome-ignore lint/suspicious/noThenProperty: a future is awaitable by design.
  then<A = T, B = never>(
    onFulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.#promise.then(onFulfilled, onRejected);
  }
}
