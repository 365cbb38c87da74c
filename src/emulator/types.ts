// Public types of the CleverTap API emulator.

export interface EmulatorAccount {
  id: string;
  passcode: string;
}

export interface Faults {
  /** 0..1: fraction of API requests answered with `status` (default 503). */
  failureRate?: number;
  /** Without failureRate: every API request is answered with this status. */
  status?: number;
  /** Added latency per API request; the request stays in flight meanwhile. */
  latencyMs?: number;
  /** 0..1: fraction of otherwise valid records answered as unprocessed 555. */
  partialRate?: number;
}

export interface EmulatorOptions {
  /** 0 = random free port. Default 0. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  accounts: EmulatorAccount[];
  /** Concurrent in-flight API requests per account (CleverTap: 15). */
  maxInFlight?: number;
  /** Records per /1/upload request (CleverTap: 1000). */
  maxRecords?: number;
  /** Token records per /1/upload request (CleverTap: 100). */
  maxTokens?: number;
  /** Properties per event (CleverTap: 256). */
  maxEventProperties?: number;
  /** Events/profiles/tokens kept for inspection per account; counters stay exact beyond it. */
  retain?: number;
  /** Event names configured as "discarded" in the dashboard → 528. Case-insensitive. */
  discardedEvents?: string[];
  /** Largest accepted request body in bytes (default 32 MiB); larger → 413. */
  maxBodyBytes?: number;
  faults?: Faults;
  /** false silences internal error logging (the emulator logs nothing else). */
  logger?: false;
}

export interface EmulatorStats {
  /** API requests that named a known account (any outcome). */
  requests: number;
  /** /1/upload requests that were processed (not 4xx, not faulted). */
  uploads: number;
  eventsAccepted: number;
  profilesAccepted: number;
  tokensAccepted: number;
  /** Records answered in `unprocessed` (validation failures and injected 555s). */
  rejected: number;
  rejectedByCode: Record<string, number>;
  dryRunRequests: number;
  status400: number;
  status401: number;
  status429: number;
  /** Requests answered by fault injection (failureRate / status). */
  faulted: number;
  inFlight: number;
  /** Highest concurrent in-flight count seen (to check a sender's concurrency). */
  peakInFlight: number;
  profilesDeleted: number;
  demerges: number;
  eventsStored: number;
  profilesStored: number;
  tokensStored: number;
}

export interface StoredToken {
  id: string;
  type: string;
  keys?: unknown;
}

/** One merged user profile as kept by the emulator. */
export interface EmulatorProfile {
  /** First custom identity the profile got. */
  identity?: string;
  /** First objectId the profile got. */
  objectId?: string;
  /** Every id the profile is known by (identity, objectId, FBID, GPID), in linking order. */
  identities: string[];
  objectIds: string[];
  profileData: Record<string, unknown>;
  tokens: StoredToken[];
  /** Accepted events attributed to this profile. */
  events: number;
  createdAt: number;
  updatedAt: number;
}

export interface RunningEmulator {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  setFaults(f: Faults): void;
  faults(): Faults;
  stats(accountId: string): EmulatorStats;
  /** Stored event records (plus receivedAt), arrival order. */
  events(accountId: string): unknown[];
  /** Merged profiles, creation order. */
  profiles(accountId: string): EmulatorProfile[];
  /** Stored token records (plus receivedAt), arrival order. */
  tokens(accountId: string): unknown[];
  /** Clears stored data and counters for one account or all. Faults stay. */
  reset(accountId?: string): void;
  close(): Promise<void>;
}
