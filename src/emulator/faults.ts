// Fault injection: failure rate / fixed status, latency, per-record 555s.
import type { Faults } from './types.js';

export class FaultError extends Error {
  override readonly name = 'FaultError';
}

/** Validates and normalises a Faults object (throws FaultError with a readable message). */
export function parseFaults(input: unknown): Faults {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new FaultError('faults must be an object');
  const f = input as Record<string, unknown>;
  const out: Faults = {};
  const rate = (k: 'failureRate' | 'partialRate') => {
    const v = f[k];
    if (v === undefined || v === null) return;
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new FaultError(`${k} must be a number between 0 and 1`);
    out[k] = v;
  };
  rate('failureRate');
  rate('partialRate');
  if (f.status !== undefined && f.status !== null) {
    if (typeof f.status !== 'number' || !Number.isInteger(f.status) || f.status < 100 || f.status > 599) {
      throw new FaultError('status must be an HTTP status code (100-599)');
    }
    out.status = f.status;
  }
  if (f.latencyMs !== undefined && f.latencyMs !== null) {
    if (typeof f.latencyMs !== 'number' || !(f.latencyMs >= 0) || !Number.isFinite(f.latencyMs)) {
      throw new FaultError('latencyMs must be a non-negative number');
    }
    out.latencyMs = f.latencyMs;
  }
  for (const k of Object.keys(f)) {
    if (!['failureRate', 'partialRate', 'status', 'latencyMs'].includes(k)) throw new FaultError(`unknown fault: ${k}`);
  }
  return out;
}

const FAULT_TEXT: Record<number, string> = {
  400: 'Malformed request',
  401: 'Account ID is not valid',
  403: 'Forbidden',
  404: 'Not found',
  429: 'Too many concurrent requests',
  500: 'Internal server error',
  502: 'Bad gateway',
  503: 'Service unavailable',
  504: 'Gateway timeout',
};

export class FaultState {
  private f: Faults = {};

  constructor(initial?: Faults) {
    if (initial) this.set(initial);
  }

  set(f: Faults): void {
    this.f = parseFaults(f);
  }

  get(): Faults {
    return { ...this.f };
  }

  get latencyMs(): number {
    return this.f.latencyMs ?? 0;
  }

  get partialRate(): number {
    return this.f.partialRate ?? 0;
  }

  /** Status to answer instead of processing the request, or 0. */
  pickStatus(): number {
    const { failureRate, status } = this.f;
    if (failureRate === undefined) return status ?? 0;
    return failureRate > 0 && Math.random() < failureRate ? (status ?? 503) : 0;
  }
}

export function faultBody(status: number): { status: 'fail'; error: string; code: number } {
  return { status: 'fail', error: FAULT_TEXT[status] ?? 'Injected fault', code: status };
}
