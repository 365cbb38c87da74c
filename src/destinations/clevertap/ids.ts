// What counts as an id, in every mode and for every record.

/**
 * An id as CleverTap takes it: a non-blank string (numbers are stringified), else undefined. A blank id
 * ("", "  ") is no id: CleverTap answers 523 for it, and as an id it would merge every blank-id user into one.
 */
export function idOf(v: unknown): string | undefined {
  if (typeof v === 'string') {
    const c = v.charCodeAt(0); // NaN for ''
    if (c > 32 && c < 127) return v;
    return v.trim() === '' ? undefined : v;
  }
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}
