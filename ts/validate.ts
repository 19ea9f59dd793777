// Validation at the door: every public entry point checks its arguments here, so each failure is a
// TypeError (wrong type) or RangeError (right type, wrong value) naming the option and the value.

/** Renders a received value for an error message: short, typed, never throws. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? value.slice(0, 57) + '...' : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${String(value)} (${typeof value})`;
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
}

export function typeError(name: string, expected: string, value: unknown): TypeError {
  const e = new TypeError(`velo-retry: ${name} must be ${expected}, got ${describe(value)}`);
  (e as NodeJS.ErrnoException).code = 'ERR_INVALID_ARG_TYPE';
  return e;
}

export function rangeError(name: string, expected: string, value: unknown, code = 'ERR_OUT_OF_RANGE'): RangeError {
  const e = new RangeError(`velo-retry: ${name} must be ${expected}, got ${describe(value)}`);
  (e as NodeJS.ErrnoException).code = code;
  return e;
}

/** A number within [min, max] (integer if asked); `Infinity` passes only when max allows it. */
export function checkNumber(name: string, value: unknown, min: number, max = Infinity, integer = false): number {
  if (typeof value !== 'number') throw typeError(name, 'a number', value);
  if (Number.isNaN(value) || value < min || value > max || (integer && value !== Infinity && !Number.isInteger(value))) {
    const kind = integer ? 'an integer' : 'a number';
    const upper = max === Infinity ? '' : ` and <= ${max}`;
    throw rangeError(name, `${kind} >= ${min}${upper}`, value);
  }
  return value;
}

export function checkFunction(name: string, value: unknown): void {
  if (typeof value !== 'function') throw typeError(name, 'a function', value);
}

export function checkObject(name: string, value: unknown): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw typeError(name, 'an object', value);
}

export function checkBoolean(name: string, value: unknown): void {
  if (typeof value !== 'boolean') throw typeError(name, 'a boolean', value);
}

export function checkSignal(name: string, value: unknown): void {
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof (value as AbortSignal).aborted !== 'boolean' ||
    typeof (value as AbortSignal).addEventListener !== 'function'
  ) {
    throw typeError(name, 'an AbortSignal', value);
  }
}
