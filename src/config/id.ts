// The id of a source or destination entry in the config (used in store rows, metrics labels and URLs).
import { Type } from '@sinclair/typebox';

export const ConfigId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' });
