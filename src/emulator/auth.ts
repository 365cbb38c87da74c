// Header auth: X-CleverTap-Account-Id + X-CleverTap-Passcode, constant-time passcode compare.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { EmulatorAccount } from './types.js';

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

export class Accounts {
  private readonly byId = new Map<string, Buffer>();

  constructor(accounts: EmulatorAccount[]) {
    for (const a of accounts) {
      if (!a || typeof a.id !== 'string' || a.id.length === 0) throw new Error('emulator account id must be a non-empty string');
      if (typeof a.passcode !== 'string' || a.passcode.length === 0) throw new Error(`emulator account ${a.id}: passcode must be a non-empty string`);
      if (this.byId.has(a.id)) throw new Error(`emulator account ${a.id} given twice`);
      this.byId.set(a.id, digest(a.passcode));
    }
  }

  ids(): string[] {
    return [...this.byId.keys()];
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /**
   * Returns the account id the headers name (even when the passcode is wrong, so the caller can count
   * the 401 against it) and whether the credentials are valid.
   */
  check(headers: IncomingHttpHeaders): { accountId: string | undefined; ok: boolean } {
    const id = headers['x-clevertap-account-id'];
    const pass = headers['x-clevertap-passcode'];
    if (typeof id !== 'string') return { accountId: undefined, ok: false };
    const expected = this.byId.get(id);
    if (expected === undefined) return { accountId: undefined, ok: false };
    if (typeof pass !== 'string' || pass.length === 0) return { accountId: id, ok: false };
    return { accountId: id, ok: timingSafeEqual(digest(pass), expected) };
  }
}
