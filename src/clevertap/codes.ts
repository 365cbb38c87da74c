// CleverTap's per-record error codes: an upload answers HTTP 200 and lists each refused record in `unprocessed`
// with one of these. https://developer.clevertap.com/docs/api-errors

export const CLEVERTAP_CODES = {
  missingEventName: 509,
  invalidEventStructure: 512,
  restrictedEvent: 513,
  invalidGender: 514,
  invalidEmail: 515,
  invalidPhone: 516,
  invalidEmployed: 517,
  invalidEducation: 518,
  invalidMarried: 519,
  invalidAge: 520,
  tooManyProperties: 522,
  missingIdentity: 523,
  invalidProfileData: 524,
  invalidTs: 525,
  invalidTokenObjectId: 530,
  missingTokenId: 532,
  missingTokenType: 533,
  invalidTokenType: 534,
  /** CleverTap's own server error for one record: the only per-record code worth retrying. */
  serverError: 555,
} as const;

/** Per-record codes worth retrying; every other code is a validation failure the record will always get. */
export const RETRYABLE_RECORD_CODES: ReadonlySet<number> = new Set([CLEVERTAP_CODES.serverError]);
