/**
 * Response bodies are taken off the socket as they arrive, never held back by backpressure.
 *
 * undici 7's HTTP/1 parser pauses while a response body waits for its reader and asserts, when the socket then ends,
 * that it is not paused (nodejs/undici#5360, fixed in undici 8 on Node ≥ 22.19): a server that closes the connection
 * right after a large answer (Radicale's WSGI server does so after every answer, gzipped when the client accepts it)
 * threw an uncatchable AssertionError from the socket's `end` handler and took the whole process down, even when the
 * body was read at once. Every caller reads whole bodies anyway (text/json), so nothing is lost by buffering them:
 * the handler below passes everything through except the request to pause, and the agent's `maxResponseSize` bounds
 * what one answer may hold.
 */
import type { Dispatcher } from 'undici';

/** Passes everything on to the connection's controller except backpressure. */
class UnpausedController implements Dispatcher.DispatchController {
  constructor(readonly inner: Dispatcher.DispatchController) {}
  get aborted(): boolean {
    return this.inner.aborted;
  }
  get paused(): boolean {
    return false;
  }
  get reason(): Error | null {
    return this.inner.reason;
  }
  // undici 8's fetch reads the response's header and trailer lines from the controller (without them it sees no
  // Location and no Content-Encoding).
  get rawHeaders(): Dispatcher.DispatchController['rawHeaders'] {
    return this.inner.rawHeaders;
  }
  get rawTrailers(): Dispatcher.DispatchController['rawTrailers'] {
    return this.inner.rawTrailers;
  }
  abort(reason: Error): void {
    this.inner.abort(reason);
  }
  pause(): void {
    // Deliberately ignored: the reader's buffer grows instead of the parser pausing.
  }
  resume(): void {
    // Never paused, so nothing to resume.
  }
}

class UnpausedHandler implements Dispatcher.DispatchHandler {
  private controller: UnpausedController | null = null;

  constructor(private readonly inner: Dispatcher.DispatchHandler) {}

  private wrap(c: Dispatcher.DispatchController): UnpausedController {
    if (this.controller?.inner !== c) this.controller = new UnpausedController(c);
    return this.controller;
  }

  onRequestStart(c: Dispatcher.DispatchController, context: unknown): void {
    this.inner.onRequestStart?.(this.wrap(c), context);
  }
  onRequestUpgrade(...[c, ...rest]: Parameters<NonNullable<Dispatcher.DispatchHandler['onRequestUpgrade']>>): void {
    this.inner.onRequestUpgrade?.(this.wrap(c), ...rest);
  }
  onResponseStart(...[c, ...rest]: Parameters<NonNullable<Dispatcher.DispatchHandler['onResponseStart']>>): void {
    this.inner.onResponseStart?.(this.wrap(c), ...rest);
  }
  onResponseData(c: Dispatcher.DispatchController, chunk: Buffer): void {
    this.inner.onResponseData?.(this.wrap(c), chunk);
  }
  onResponseEnd(...[c, ...rest]: Parameters<NonNullable<Dispatcher.DispatchHandler['onResponseEnd']>>): void {
    this.inner.onResponseEnd?.(this.wrap(c), ...rest);
  }
  onResponseError(c: Dispatcher.DispatchController, error: Error): void {
    this.inner.onResponseError?.(this.wrap(c), error);
  }
  onResponseStarted(): void {
    this.inner.onResponseStarted?.();
  }
  onBodySent(chunk: Buffer): void {
    this.inner.onBodySent?.(chunk);
  }
  onRequestSent(): void {
    this.inner.onRequestSent?.();
  }
}

/** Interceptor for `agent.compose(...)`: the HTTP/1 parser is never paused by a slow body reader. */
export const unpausedResponses: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (opts, handler) =>
  dispatch(opts, new UnpausedHandler(handler));
