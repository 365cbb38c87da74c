// The records that go into the "d" array of CleverTap's POST /1/upload.
export type Scalar = string | number | boolean | null;

interface RecordIdentity {
  identity?: string;
  objectId?: string;
  ts?: number;
}
export interface EventRecord extends RecordIdentity {
  type: 'event';
  evtName: string;
  evtData: Record<string, Scalar | Record<string, Scalar>[]>;
}
export interface ProfileRecord extends RecordIdentity {
  type: 'profile';
  profileData: Record<string, Scalar | Record<string, unknown>>;
}
export interface TokenRecord {
  type: 'token';
  objectId: string;
  tokenData: { id: string; type: string; keys?: Record<string, unknown> };
}
export type CleverTapRecord = EventRecord | ProfileRecord | TokenRecord;

/** What the mapping knows about its records that spares CleverTap's rules work (enforceRecords). */
export interface MappedFacts {
  /** A profileData whose keys are known clean, none reserved but the link (mapIdentifyPlain). */
  keysChecked?: object;
  /** With keysChecked: the profile fields (profile-fields.ts indices) it can hold, when known. */
  profileFields?: readonly number[];
}
