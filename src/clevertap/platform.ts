// CleverTap as a platform data comes from and goes to. Sources that receive CleverTap's exports declare it as
// their origin and the CleverTap destination as its platform; the loop guard compares the two, so events that
// came out of CleverTap are not sent back into it by accident.
export const CLEVERTAP_PLATFORM = 'clevertap';
