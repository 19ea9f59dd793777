// CircuitBreaker: stops calls to a downstream that keeps failing, then tests it with one call at a
// time. Closed: calls go through and each outcome is counted over a sliding window; once at least
// `minimumCalls` were made in it and the share that failed reaches `failureRate`, it opens. Open:
// no calls for `openFor`; then half-open: one probe at a time; a probe that succeeds closes it (the
// window starts empty), one that fails opens it again. The shape of cockatiel's and Finagle's
// breakers; the consumer uses it to pause its partitions while the downstream is down.
import { durationField, type Duration } from '../backoff';
import { checkNumber, checkObject, rangeError } from '../validate';
import { SlidingWindow } from '../window';

const CALLS = 0;
const FAILURES = 1;

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Share of failed calls in the window that opens it, in (0, 1]. */
  failureRate: number;
  /** Calls the window must hold before the rate counts; default 20. */
  minimumCalls?: number;
  /** The sliding window's length; default 10 s. */
  window?: Duration;
  /** How long it stays open before a probe; default 5 s. */
  openFor?: Duration;
}

/** Options checked and defaulted, durations in ms. */
export interface ResolvedBreakerOptions {
  failureRate: number;
  minimumCalls: number;
  window: number;
  openFor: number;
}

export function checkCircuitBreakerOptions(o: unknown, name = 'options'): ResolvedBreakerOptions & CircuitBreakerOptions {
  checkObject(name, o);
  const b = o as CircuitBreakerOptions;
  const failureRate = checkNumber(`${name}.failureRate`, b.failureRate, 0, 1);
  if (failureRate === 0) throw rangeError(`${name}.failureRate`, 'a share of failed calls in (0, 1]', b.failureRate);
  const window = durationField(`${name}.window`, b.window, 10_000);
  const openFor = durationField(`${name}.openFor`, b.openFor, 5_000);
  if (window < 1) throw rangeError(`${name}.window`, 'at least 1 ms', b.window);
  if (openFor < 1) throw rangeError(`${name}.openFor`, 'at least 1 ms', b.openFor);
  return { failureRate, minimumCalls: checkNumber(`${name}.minimumCalls`, b.minimumCalls ?? 20, 1, 1e9, true), window, openFor };
}

export class CircuitBreaker {
  private readonly o: ResolvedBreakerOptions;
  private current: BreakerState = 'closed';
  /** Calls (0) and failures (1) that counted, over options.window. */
  private readonly window: SlidingWindow;
  private openedAt = 0;
  private probing = false;
  private timer: NodeJS.Timeout | undefined;
  private changeWaiters: (() => void)[] = [];
  /** Transitions so far, by the state entered. */
  readonly transitions: Record<BreakerState, number> = { closed: 0, open: 0, 'half-open': 0 };

  constructor(
    options: CircuitBreakerOptions,
    private readonly onChange?: (state: BreakerState) => void,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.o = checkCircuitBreakerOptions(options);
    this.window = new SlidingWindow(this.o.window, 2, clock);
  }

  get state(): BreakerState {
    return this.current;
  }

  /**
   * Whether a call may start now. Closed: yes. Open: no. Half-open: yes for one probe at a time;
   * the caller that is told yes must report its outcome with `record`.
   */
  allow(): boolean {
    if (this.current === 'closed') return true;
    if (this.current === 'open' || this.probing) return false;
    this.probing = true;
    return true;
  }

  /** The outcome of a call that was allowed. `failed` is a failure that counts (a retriable one). */
  record(failed: boolean): void {
    if (this.current === 'half-open') {
      this.probing = false;
      if (failed) this.open();
      else this.close();
      return;
    }
    if (this.current === 'open') return; // a call that started before it opened
    this.window.add(CALLS);
    if (failed) this.window.add(FAILURES);
    const calls = this.window.sum(CALLS);
    const failures = this.window.sum(FAILURES);
    if (calls >= this.o.minimumCalls && failures / calls >= this.o.failureRate) this.open();
  }

  /** Resolves at its next transition. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.changeWaiters.push(resolve));
  }

  /** Stops its timer (a consumer closing). */
  dispose(): void {
    clearTimeout(this.timer);
    for (const wake of this.changeWaiters.splice(0)) wake();
  }

  private set(state: BreakerState): void {
    this.current = state;
    this.transitions[state]++;
    this.onChange?.(state);
    for (const wake of this.changeWaiters.splice(0)) wake();
  }

  private open(): void {
    this.openedAt = this.clock();
    this.set('open');
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.set('half-open'), this.o.openFor);
    this.timer.unref();
  }

  private close(): void {
    this.window.clear();
    this.set('closed');
  }

  /** ms it has been open (0 unless open). */
  get openForMs(): number {
    return this.current === 'open' ? this.clock() - this.openedAt : 0;
  }
}
