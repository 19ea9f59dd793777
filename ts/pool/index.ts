// BufferPool: equal-sized Buffers cut once from one slab and recycled, so a hot path that needs a
// scratch buffer per message stops allocating (and stops feeding the GC) after warm-up.
import { BufferReleasedTwiceError, NativeUnavailableError } from '../errors';
import { nativeStatus } from '../native/load';
import { checkNumber, checkObject, rangeError, typeError } from '../validate';
import { jsSlab } from './js';
import { nativeSlab } from './native';

export interface BufferPoolOptions {
  /** Buffers the pool holds; default 1024. */
  capacity?: number;
  /** Bytes per buffer; default 8192. */
  bufferSize?: number;
  /** Who owns the slab: 'native' (default when the binding loads) or 'js'. */
  implementation?: 'native' | 'js';
}

export interface BufferPoolStats {
  hits: number;
  misses: number;
  returns: number;
  drops: number;
  available: number;
  capacity: number;
  bufferSize: number;
}

// Each pool buffer carries its owner and whether it is out, as own properties set once at creation,
// so every pool buffer has the same shape and the checks stay monomorphic.
const kOwner = Symbol('velo-retry.pool.owner');
const kOut = Symbol('velo-retry.pool.out');
type PoolBuffer = Buffer & { [kOwner]: BufferPool; [kOut]: boolean };

const MAX_POOL_BYTES = 2 ** 32;

export class BufferPool {
  readonly capacity: number;
  readonly bufferSize: number;
  readonly implementation: 'native' | 'js';
  private readonly free: PoolBuffer[] = [];
  private hits = 0;
  private misses = 0;
  private returns = 0;
  private drops = 0;

  constructor(options: BufferPoolOptions = {}) {
    checkObject('options', options);
    this.capacity = checkNumber('options.capacity', options.capacity ?? 1024, 1, 1 << 20, true);
    this.bufferSize = checkNumber('options.bufferSize', options.bufferSize ?? 8192, 1, 1 << 30, true);
    if (this.capacity * this.bufferSize > MAX_POOL_BYTES) {
      throw rangeError('options.capacity * options.bufferSize', `at most ${MAX_POOL_BYTES} bytes`, this.capacity * this.bufferSize);
    }
    const impl = options.implementation ?? (nativeSlab ? 'native' : 'js');
    if (impl !== 'native' && impl !== 'js') throw rangeError('options.implementation', '"native" or "js"', impl);
    const source = impl === 'native' ? nativeSlab : jsSlab;
    if (!source) throw new NativeUnavailableError('BufferPool', nativeStatus.reason);
    this.implementation = impl;
    const slab = source.allocate(this.capacity * this.bufferSize);
    for (let i = this.capacity - 1; i >= 0; i--) {
      this.free.push(this.adopt(Buffer.from(slab, i * this.bufferSize, this.bufferSize), false));
    }
  }

  private adopt(b: Buffer, out: boolean): PoolBuffer {
    const p = b as PoolBuffer;
    p[kOwner] = this;
    p[kOut] = out;
    return p;
  }

  /** A buffer of `bufferSize` bytes, not zeroed (it may hold a previous user's bytes). */
  get(): Buffer {
    const b = this.free.pop();
    if (b !== undefined) {
      this.hits++;
      b[kOut] = true;
      return b;
    }
    this.misses++;
    return this.adopt(Buffer.allocUnsafeSlow(this.bufferSize), true);
  }

  /** Buffers ready to hand out now (get() allocates a fresh one when there are none). */
  get available(): number {
    return this.free.length;
  }

  /**
   * Gives a buffer back; true when it was pooled. One this pool did not hand out (another pool's,
   * a slice, another size) is dropped, as is one that arrives when the pool is full. Releasing a
   * buffer twice is a bug that would hand one buffer to two users, so it throws.
   */
  release(buffer: Buffer): boolean {
    const b = buffer as PoolBuffer;
    if (!(buffer instanceof Uint8Array)) throw typeError('buffer', 'a Buffer from this pool', buffer);
    if (b[kOwner] !== this || buffer.length !== this.bufferSize) {
      this.drops++;
      return false;
    }
    if (!b[kOut]) {
      throw new BufferReleasedTwiceError();
    }
    b[kOut] = false;
    if (this.free.length >= this.capacity) {
      this.drops++;
      return false;
    }
    this.free.push(b);
    this.returns++;
    return true;
  }

  stats(): BufferPoolStats {
    const { hits, misses, returns, drops, capacity, bufferSize } = this;
    return { hits, misses, returns, drops, available: this.free.length, capacity, bufferSize };
  }
}
