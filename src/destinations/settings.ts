// A default declared on an existing settings property (the schema then says what create() will always get).
import { CloneType, Type, type Static, type TOptionalWithFlag, type TSchema } from '@sinclair/typebox';

/** `schema` with a default: no longer optional, since the default is filled in when settings are loaded. */
export function withDefault<T extends TSchema>(schema: T, value: Static<T>): TOptionalWithFlag<T, false> {
  return Type.Optional(CloneType(schema, { default: value }), false);
}
