// velo-retry's errors: one base class with a string `code` and a `retriable` flag, and one subclass
// per condition a caller may want to catch, so `instanceof` and `code` both work (as KafkaJS's
// and cockatiel's error folders do). Wrong arguments are not here: they are the platform's
// TypeError and RangeError (codes ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE...), thrown at the door.
import type { ErrorCategory } from './classify/categories';

/** Base of every error velo-retry raises about an operation (not about its arguments). */
export class VeloRetryError extends Error {
  override readonly name: string = 'VeloRetryError';
  /** A stable string code, e.g. 'ERR_PRODUCER_CLOSED'. */
  readonly code: string;
  /** Whether the same call may succeed if tried again; the retry engine reads this flag. */
  readonly retriable: boolean;

  constructor(message: string, code: string, retriable: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.retriable = retriable;
  }
}

/** Why retry() gave up. `cause` is the last error. Never retriable: retrying it repeats a decision made. */
export class RetryError extends VeloRetryError {
  override readonly name: string = 'RetryError';
  readonly attempts: number;
  readonly elapsedMs: number;
  /** The last error's category. */
  readonly category: ErrorCategory;
  /** True when the total timeout ended it. */
  readonly timedOut: boolean;

  constructor(cause: unknown, attempts: number, elapsedMs: number, category: ErrorCategory, timedOut: boolean) {
    const why = timedOut ? `timed out after ${Math.round(elapsedMs)} ms` : `gave up after ${Math.round(elapsedMs)} ms`;
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(
      `${why} and ${attempts} attempt${attempts === 1 ? '' : 's'} (${category}): ${detail}`,
      timedOut ? 'ERR_RETRY_TIMEOUT' : 'ERR_RETRY_EXHAUSTED',
      false,
      { cause },
    );
    this.attempts = attempts;
    this.elapsedMs = elapsedMs;
    this.category = category;
    this.timedOut = timedOut;
  }
}

/** A send on a producer that is closed or closing; the message was not handed to librdkafka. */
export class ProducerClosedError extends VeloRetryError {
  override readonly name: string = 'ProducerClosedError';
  constructor(message: string) {
    super(`velo-retry/kafka: ${message}`, 'ERR_PRODUCER_CLOSED', false);
  }
}

/**
 * A message may or may not have been delivered, and sending it again could store it twice: the
 * producer closed before librdkafka reported on it, or (idempotent producer) librdkafka gave up on
 * it after message.timeout.ms with a request possibly written. Final: the caller decides.
 */
export class DeliveryUnknownError extends VeloRetryError {
  override readonly name: string = 'DeliveryUnknownError';
  constructor(message: string, cause?: unknown) {
    super(`velo-retry/kafka: ${message}`, 'ERR_DELIVERY_UNKNOWN', false, cause === undefined ? undefined : { cause });
  }
}

/** flush() or close() ran out of time with messages not yet delivered. Retriable: flush again. */
export class FlushTimeoutError extends VeloRetryError {
  override readonly name: string = 'FlushTimeoutError';
  readonly category: ErrorCategory = 'Timeout';
  constructor(message: string, cause?: unknown) {
    super(`velo-retry/kafka: ${message}`, 'ERR_FLUSH_TIMEOUT', true, { cause });
  }
}

/** velo-retry/kafka found no Kafka driver (node-rdkafka or @confluentinc/kafka-javascript). */
export class DriverMissingError extends VeloRetryError {
  override readonly name: string = 'DriverMissingError';
  constructor(message: string) {
    super(message, 'ERR_KAFKA_DRIVER_MISSING', false);
  }
}

/** implementation: 'native' was asked for, but the native binding did not load (nativeInfo says why). */
export class NativeUnavailableError extends VeloRetryError {
  override readonly name: string = 'NativeUnavailableError';
  constructor(what: string, reason: string | null) {
    super(
      `velo-retry: ${what} asked for implementation "native", but the native binding is not loaded (${reason ?? 'unknown reason'})`,
      'ERR_NATIVE_UNAVAILABLE',
      false,
    );
  }
}

/** A buffer went back to its BufferPool twice: two users would then share one buffer. */
export class BufferReleasedTwiceError extends VeloRetryError {
  override readonly name: string = 'BufferReleasedTwiceError';
  constructor() {
    super('velo-retry: this buffer was released to the pool twice', 'ERR_BUFFER_RELEASED_TWICE', false);
  }
}

/**
 * A value's codec (options.serializer) could not encode it (that send rejects, nothing is sent) or
 * could not decode a record's bytes (the consumer routes it as non-retriable: to the dead-letter
 * topic when there is one). `field` is where in the value, when the codec says.
 */
export class CodecError extends VeloRetryError {
  override readonly name: string = 'CodecError';
  /** A malformed value fails the same way every time: not retried, not counted by a circuit breaker. */
  readonly category: ErrorCategory = 'InvalidRequest';
  constructor(
    readonly codec: string,
    readonly direction: 'encode' | 'decode',
    /** What the codec said. */
    readonly detail: string,
    readonly field: string | undefined,
    cause?: unknown,
  ) {
    super(
      `velo-retry/kafka: the ${codec} codec could not ${direction} ${direction === 'encode' ? 'the value' : "a record's value"}${field === undefined ? '' : ` at ${field}`}: ${detail}`,
      direction === 'encode' ? 'ERR_SERIALIZE' : 'ERR_DESERIALIZE',
      false,
      { cause },
    );
  }
}

/** An optional peer dependency an option asked for is not installed. */
export class PeerMissingError extends VeloRetryError {
  override readonly name: string = 'PeerMissingError';
  constructor(
    readonly packageName: string,
    why: string,
    cause?: unknown,
  ) {
    super(`velo-retry: ${why} needs the package ${packageName}: npm install ${packageName}`, 'ERR_PEER_MISSING', false, { cause });
  }
}

/**
 * A batching envelope that cannot be read: cut short, a length past its end, an unknown format
 * version, bytes left over. `code` says which (ERR_ENVELOPE_TRUNCATED, ...); the consumer routes
 * the record as non-retriable (to the dead-letter topic when there is one).
 */
export class EnvelopeError extends VeloRetryError {
  override readonly name: string = 'EnvelopeError';
  readonly category: ErrorCategory = 'InvalidRequest';
  constructor(code: string, detail: string) {
    super(`velo-retry/kafka: a malformed batching envelope: ${detail}`, code, false);
  }
}
