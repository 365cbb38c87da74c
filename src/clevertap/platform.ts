// CleverTap as a platform data comes from and goes to. Sources that receive CleverTap's exports declare it as
// their origin and the CleverTap destination as its platform; the loop guard compares the two, so events that
// came out of CleverTap are not sent back into it by accident.
export const CLEVERTAP_PLATFORM = 'clevertap';

/** What CleverTap's own SDK kits in an app need (device mode): public values only, never the passcode. The
 *  account token is public too (it ships in every app), see https://developer.clevertap.com/docs/android-quickstart-guide */
export interface CleverTapDeviceSettings {
  accountId: string;
  region: string;
  accountToken?: string;
}
